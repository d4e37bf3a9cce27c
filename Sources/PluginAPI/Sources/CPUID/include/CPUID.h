// The processor's own answer to "what may run here": the CPUID instruction and the XCR0
// register (which vector register state the operating system saves). Swift has no inline
// assembly, so these two reads are the runtime's only C. On other architectures both report
// nothing and the runtime falls back to what the OS lists (docs/ARCHITECTURE.md, "Kernel sets").
#ifndef HOST_CPUID_H
#define HOST_CPUID_H

#include <stdint.h>

/// Runs CPUID with `leaf` and `subleaf` and stores EAX, EBX, ECX, EDX in `registers`.
/// Returns 0 when the leaf is above the highest the processor reports (`registers` zeroed)
/// or when this is not an x86-64 build; 1 otherwise.
int host_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]);

/// XCR0, read with XGETBV when the OS has enabled it (CPUID.1:ECX.OSXSAVE); 0 otherwise.
uint64_t host_xcr0(void);

#endif
