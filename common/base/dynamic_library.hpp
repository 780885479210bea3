#pragma once
// Libraries opened with dlopen() when first needed (libidn2 for a non-ASCII name, libunbound for
// DNSSEC lookups): linked, they and their dependencies would cost every start of every plugin in
// the dynamic loader.

#include <dlfcn.h>

namespace tls_checks {

// Looks `symbol` up in `library` into the function pointer `into` (declared with decltype() of
// the library header's declaration, so the compiler checks the signature); false when missing.
template <class Function>
bool find_symbol(void* library, const char* symbol, Function& into) {
    // dlsym() hands back an object pointer; POSIX guarantees it converts to the function's.
    into = reinterpret_cast<Function>(dlsym(library, symbol));
    return into != nullptr;
}

}  // namespace tls_checks
