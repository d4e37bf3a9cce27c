#include "CPUID.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    registers[0] = registers[1] = registers[2] = registers[3] = 0;
    // The highest leaf of the range `leaf` is in (basic 0x0..., extended 0x8000...).
    uint32_t highest = __get_cpuid_max(leaf & 0x80000000u, 0);
    if (highest == 0 || leaf > highest) return 0;
    __cpuid_count(leaf, subleaf, registers[0], registers[1], registers[2], registers[3]);
    return 1;
}

uint64_t host_xcr0(void) {
    uint32_t r[4];
    if (!host_cpuid(1, 0, r) || !(r[2] & (1u << 27))) return 0;  // OSXSAVE: XGETBV is enabled
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

#else

int host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    (void)leaf; (void)subleaf;
    registers[0] = registers[1] = registers[2] = registers[3] = 0;
    return 0;
}

uint64_t host_xcr0(void) { return 0; }

#endif
