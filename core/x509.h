// Moved to the public include/keyward/core/x509.h; this forwarder keeps internal includes working.
#include "keyward/core/x509.h"  // IWYU pragma: export
