/* Deliberately broken plugins for the loader's tests: one C file, compiled once per failure
 * with -DFAILURE=<n>. Each exports just enough of the handshake to reach the stage it fails. */
#include <stddef.h>

#define MISSING_SYMBOL 1   /* exports only the ABI version: host_plugin_create is missing */
#define WRONG_ABI 2        /* speaks plugin ABI 999 */
#define WRONG_RUNTIME 3    /* built against another runtime build */
#define NULL_FACTORY 4     /* the factory returns no object */

int host_plugin_abi_version(void) { return FAILURE == WRONG_ABI ? 999 : 1; }

#if FAILURE != MISSING_SYMBOL
const char *host_plugin_runtime_build_id(void) {
    return FAILURE == WRONG_RUNTIME ? "pluginapi-0.0.1+0" : RUNTIME_BUILD_ID;
}
void *host_plugin_create(void) { return NULL; }
#endif
