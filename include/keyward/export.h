// Symbol visibility of the installed shared libraries.
//
// keyward is compiled with -fvisibility=hidden -fvisibility-inlines-hidden: a symbol leaves a
// shared library only when a public header declares it. Every public header brackets its
// declarations with KEYWARD_API_BEGIN / KEYWARD_API_END (default visibility for everything in
// between); KEYWARD_EXPORT marks a single declaration outside such a bracket. Internal headers
// (core/, pcsc/, ... outside include/) use neither, so their symbols stay inside the library.
// A linker version script (cmake/keyward.map.in) additionally limits the exports to keyward::*.
#ifndef KEYWARD_EXPORT_H_
#define KEYWARD_EXPORT_H_

#if defined(__GNUC__) || defined(__clang__)
#define KEYWARD_EXPORT __attribute__((visibility("default")))
#define KEYWARD_API_BEGIN _Pragma("GCC visibility push(default)")
#define KEYWARD_API_END _Pragma("GCC visibility pop")
// A type declared inside a public class that is not API (a pimpl's Impl): its members stay in the
// library. Used on the header's declaration AND the definition, so the two agree.
#define KEYWARD_HIDDEN __attribute__((visibility("hidden")))
#else
#define KEYWARD_EXPORT
#define KEYWARD_API_BEGIN
#define KEYWARD_API_END
#define KEYWARD_HIDDEN
#endif

#endif  // KEYWARD_EXPORT_H_
