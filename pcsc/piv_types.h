// Moved to the public include/keyward/pcsc/piv_types.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/piv_types.h"  // IWYU pragma: export
