// keyward-softctap: manage a software CTAP 2.1 authenticator's state file.
//   keyward-softctap init FILE         create a factory-fresh authenticator in FILE
//   keyward-softctap export-ca FILE    print the test CA certificate (PEM) that its batch
//                                      attestation certificate chains to
// The authenticator itself is used through `keyward fido ... --device soft:FILE`.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/softctap/soft_authenticator.h"

int main(int argc, char** argv) {
  using keyward::softctap::SoftAuthenticator;
  if (argc != 3 || (std::strcmp(argv[1], "init") != 0 && std::strcmp(argv[1], "export-ca") != 0)) {
    std::fprintf(stderr, "usage: keyward-softctap init FILE | export-ca FILE\n");
    return 2;
  }
  auto a = SoftAuthenticator::OpenFile(argv[2]);
  if (!a) {
    std::fprintf(stderr, "keyward-softctap: %s\n", a.error().ToString().c_str());
    return 3;
  }
  if (std::strcmp(argv[1], "export-ca") == 0) {
    std::string pem = (*a)->CaCertificatePem();
    std::fwrite(pem.data(), 1, pem.size(), stdout);
  }
  return 0;
}
