// Moved to the public include/keyward/enroll/profile.h; this forwarder keeps internal includes working.
#include "keyward/enroll/profile.h"  // IWYU pragma: export
