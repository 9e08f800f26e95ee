// PIV Card Application Administration Key (key reference 9B) cryptography, NIST SP 800-73-4
// Part 2 Appendix A.1 (authentication of the management key by challenge-response) with the
// algorithms of SP 800-78-4 §3.1: 3DES (three-key, 8-byte blocks), AES-128/192/256 (16-byte
// blocks). One block is encrypted or decrypted in ECB mode.
//
// Invariant: a ManagementKey that exists has a key of the right length for its algorithm.
#ifndef KEYWARD_PCSC_MGMT_KEY_H_
#define KEYWARD_PCSC_MGMT_KEY_H_

#include "keyward/bytes.h"
#include "keyward/export.h"
#include "keyward/pcsc/piv_types.h"
#include "keyward/secret.h"

KEYWARD_API_BEGIN

namespace keyward::pcsc::piv {

class ManagementKey {
 public:
  // kInvalidArgument for a key length that does not fit `alg`, kPivUnsupportedAlgorithm for an
  // asymmetric algorithm.
  static Result<ManagementKey> Create(Algorithm alg, SecretBytes key);
  // The well-known default 3DES key 010203040506070801020304050607080102030405060708.
  static ManagementKey Default();

  Algorithm algorithm() const { return alg_; }
  size_t block_size() const { return AlgorithmBlockSize(alg_); }
  const SecretBytes& key() const { return key_; }

  // One block in, one block out (kInvalidArgument for another length).
  Result<Bytes> EncryptBlock(ByteSpan block) const;
  Result<Bytes> DecryptBlock(ByteSpan block) const;

 private:
  ManagementKey(Algorithm alg, SecretBytes key) : alg_(alg), key_(std::move(key)) {}
  Algorithm alg_;
  SecretBytes key_;
};

}  // namespace keyward::pcsc::piv

KEYWARD_API_END

#endif  // KEYWARD_PCSC_MGMT_KEY_H_
