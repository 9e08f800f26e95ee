// A public header that reaches an internal one: packaging_header_selftest must reject it.
#ifndef KEYWARD_INTERNAL_INCLUDE_H_
#define KEYWARD_INTERNAL_INCLUDE_H_

#include "core/cbor.h"

#endif  // KEYWARD_INTERNAL_INCLUDE_H_
