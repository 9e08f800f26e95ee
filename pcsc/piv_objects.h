// Moved to the public include/keyward/pcsc/piv_objects.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/piv_objects.h"  // IWYU pragma: export
