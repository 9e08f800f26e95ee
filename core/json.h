// Moved to the public include/keyward/core/json.h; this forwarder keeps internal includes working.
#include "keyward/core/json.h"  // IWYU pragma: export
