// Moved to the public include/keyward/core/hash.h; this forwarder keeps internal includes working.
#include "keyward/core/hash.h"  // IWYU pragma: export
