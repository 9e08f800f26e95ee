// Moved to the public include/keyward/enroll/local_ca.h; this forwarder keeps internal includes working.
#include "keyward/enroll/local_ca.h"  // IWYU pragma: export
