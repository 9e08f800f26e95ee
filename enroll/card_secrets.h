// Moved to the public include/keyward/enroll/card_secrets.h; this forwarder keeps internal includes working.
#include "keyward/enroll/card_secrets.h"  // IWYU pragma: export
