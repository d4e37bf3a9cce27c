/* Deliberately broken plugins for the loader's tests: one C file, compiled once per failure
 * with -DFAILURE=<n>. Each exports just enough of the handshake to reach the stage it fails. */
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>

#define MISSING_SYMBOL 1   /* exports only the ABI version: host_plugin_create is missing */
#define WRONG_ABI 2        /* speaks plugin ABI 999 */
#define WRONG_RUNTIME 3    /* built against another runtime build */
#define NULL_FACTORY 4     /* the factory returns no object */
#define CRASHING_FACTORY 5 /* the factory writes through a wild pointer */
#define HANGING_FACTORY 6  /* the factory never returns */
#define EXITING_FACTORY 7  /* the factory calls exit(0) */
#define CONSTRUCTOR 8      /* an ELF constructor leaves a file named by $BROKEN_PLUGIN_MARKER when the library is loaded */
#define OLD_RUNTIME 9      /* imports a runtime function this runtime does not have, as a plugin built against an older one does */

int host_plugin_abi_version(void) { return FAILURE == WRONG_ABI ? 999 : 1; }

#if FAILURE != MISSING_SYMBOL
const char *host_plugin_runtime_build_id(void) {
    return FAILURE == WRONG_RUNTIME ? "pluginapi-0.0.1+0" : RUNTIME_BUILD_ID;
}
#if FAILURE == OLD_RUNTIME
/* PluginAPI.conv2d(Swift.Int) -> (), a signature the runtime never had: GCC takes '$' in names. */
extern void $s9PluginAPI6conv2dyySiF(long);
#endif
void *host_plugin_create(void) {
#if FAILURE == OLD_RUNTIME
    $s9PluginAPI6conv2dyySiF(3);
#endif
    if (FAILURE == CRASHING_FACTORY) *(volatile int *)16 = 1;
    if (FAILURE == HANGING_FACTORY) for (;;) sleep(1);
    if (FAILURE == EXITING_FACTORY) exit(0);
    return NULL;
}
#endif

#if FAILURE == CONSTRUCTOR
__attribute__((constructor)) static void loaded(void) {
    const char *marker = getenv("BROKEN_PLUGIN_MARKER");
    if (marker) { FILE *f = fopen(marker, "w"); if (f) fclose(f); }
}
#endif
