// Moved to the public include/keyward/enroll/csr.h; this forwarder keeps internal includes working.
#include "keyward/enroll/csr.h"  // IWYU pragma: export
