// Moved to the public include/keyward/core/openssl_util.h; this forwarder keeps internal includes working.
#include "keyward/core/openssl_util.h"  // IWYU pragma: export
