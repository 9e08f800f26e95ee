#include "pcsc/piv_public_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "core/openssl_util.h"
#include "pcsc/tlv.h"

namespace keyward::pcsc::piv {
namespace {
using ParamBldPtr =
    std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM, OSSL_PARAM_free>>;
}  // namespace

Result<PivPublicKey> PivPublicKey::Parse(Algorithm alg, ByteSpan response) {
  auto outer = ParseSingleTlv(response);
  if (!outer || outer->tag != 0x7F49) {
    return Fail(ErrorCode::kPivObjectMalformed, "public key: no 7F49 template");
  }
  auto tlvs = ParseTlvs(outer->value);
  if (!tlvs) return Fail(ErrorCode::kPivObjectMalformed, "public key: bad template");
  PivPublicKey k;
  k.algorithm = alg;
  if (IsEcc(alg)) {
    auto p = FindTlv(*tlvs, 0x86);
    if (!p || p->size() != 1 + 2 * AlgorithmBlockSize(alg) || (*p)[0] != 0x04) {
      return Fail(ErrorCode::kPivObjectMalformed, "public key: bad EC point");
    }
    k.ec_point = ToBytes(*p);
  } else if (IsRsa(alg)) {
    auto n = FindTlv(*tlvs, 0x81);
    auto e = FindTlv(*tlvs, 0x82);
    if (!n || !e || n->empty() || e->empty()) {
      return Fail(ErrorCode::kPivObjectMalformed, "public key: RSA without modulus/exponent");
    }
    k.rsa_modulus = ToBytes(*n);
    k.rsa_exponent = ToBytes(*e);
  } else {
    return Fail(ErrorCode::kPivUnsupportedAlgorithm, "public key: not an asymmetric algorithm");
  }
  return k;
}

Bytes PivPublicKey::Encode() const {
  Bytes inner;
  if (IsEcc(algorithm)) {
    AppendTlv(inner, 0x86, ec_point);
  } else {
    AppendTlv(inner, 0x81, rsa_modulus);
    AppendTlv(inner, 0x82, rsa_exponent);
  }
  return EncodeTlv(0x7F49, inner);
}

Result<EvpPkeyPtr> PivPublicKey::ToEvp() const {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  const char* type = nullptr;
  BignumPtr n, e;
  if (IsEcc(algorithm)) {
    type = "EC";
    const char* curve = algorithm == Algorithm::kEccP256 ? "prime256v1" : "secp384r1";
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, ec_point.data(),
                                     ec_point.size());
  } else {
    type = "RSA";
    n.reset(BN_bin2bn(rsa_modulus.data(), static_cast<int>(rsa_modulus.size()), nullptr));
    e.reset(BN_bin2bn(rsa_exponent.data(), static_cast<int>(rsa_exponent.size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Fail(ErrorCode::kKeyMalformed, TakeOpensslError("public key from card"));
  }
  return EvpPkeyPtr(pkey);
}

Result<Bytes> PivPublicKey::ToSpki() const {
  KW_ASSIGN_OR_RETURN(EvpPkeyPtr k, ToEvp());
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(k.get(), &der);
  if (len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d_PUBKEY"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<PivPublicKey> PivPublicKey::FromEvp(EVP_PKEY* key) {
  PivPublicKey k;
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t glen = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen);
    std::string g(group);
    if (g == "prime256v1" || g == "P-256") {
      k.algorithm = Algorithm::kEccP256;
    } else if (g == "secp384r1" || g == "P-384") {
      k.algorithm = Algorithm::kEccP384;
    } else {
      return Fail(ErrorCode::kPivUnsupportedAlgorithm, "curve not supported by PIV");
    }
    Bytes pt = EncodedPublicKey(key);
    if (pt.empty()) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("EC point"));
    k.ec_point = std::move(pt);
    return k;
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
      BN_free(n);
      BN_free(e);
      return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("RSA params"));
    }
    BignumPtr np(n), ep(e);
    int bits = BN_num_bits(n);
    if (bits == 2048) {
      k.algorithm = Algorithm::kRsa2048;
    } else if (bits == 1024) {
      k.algorithm = Algorithm::kRsa1024;
    } else {
      return Fail(ErrorCode::kPivUnsupportedAlgorithm, "RSA size not supported by PIV");
    }
    k.rsa_modulus.resize(static_cast<size_t>(BN_num_bytes(n)));
    BN_bn2bin(n, k.rsa_modulus.data());
    k.rsa_exponent.resize(static_cast<size_t>(BN_num_bytes(e)));
    BN_bn2bin(e, k.rsa_exponent.data());
    return k;
  }
  return Fail(ErrorCode::kPivUnsupportedAlgorithm, "key type not supported by PIV");
}

}  // namespace keyward::pcsc::piv
