// Moved to the public include/keyward/secret.h; this forwarder keeps internal includes working.
#include "keyward/secret.h"  // IWYU pragma: export
