#include "tools/softpiv/card_state.h"

#include <fcntl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/hash.h"
#include "pcsc/mgmt_key.h"
#include "pcsc/piv_objects.h"

namespace keyward::softpiv {

using pcsc::piv::Algorithm;

Result<CardState> CardState::Fresh() {
  CardState s;
  s.mgmt_key = SecretBytes(pcsc::piv::ManagementKey::Default().key().reveal());
  KW_ASSIGN_OR_RETURN(Bytes guid, RandomBytes(16));
  s.objects[pcsc::piv::kTagChuid] = pcsc::piv::Chuid::ForTestCard(guid, "20301231").Encode();
  return s;
}

bool CardState::PinIsDefault() const {
  return ConstantTimeEqual(pin.reveal(), AsBytes(std::string_view("123456")));
}

bool CardState::PukIsDefault() const {
  return ConstantTimeEqual(puk.reveal(), AsBytes(std::string_view("12345678")));
}

bool CardState::MgmtKeyIsDefault() const {
  return (mgmt_algorithm == Algorithm::kTripleDes || mgmt_algorithm == Algorithm::kAes192) &&
         ConstantTimeEqual(mgmt_key.reveal(), pcsc::piv::ManagementKey::Default().key().reveal());
}

Result<CardState> CardState::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, "softpiv state file does not exist");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kStoreCorrupt, "softpiv state is not JSON");
  }
  CardState s;
  auto hex = [&](const nlohmann::json& v) -> Result<Bytes> {
    if (!v.is_string()) return Fail(ErrorCode::kStoreCorrupt, "softpiv state: expected hex");
    auto b = HexDecode(v.get<std::string>());
    if (!b) return Fail(ErrorCode::kStoreCorrupt, "softpiv state: bad hex");
    return b;
  };
  try {
    KW_ASSIGN_OR_RETURN(Bytes pin, hex(j.at("pin")));
    s.pin = SecretBytes(pin);
    OPENSSL_cleanse(pin.data(), pin.size());
    KW_ASSIGN_OR_RETURN(Bytes puk, hex(j.at("puk")));
    s.puk = SecretBytes(puk);
    OPENSSL_cleanse(puk.data(), puk.size());
    s.pin_retries = j.at("pin_retries").get<int>();
    s.pin_max_retries = j.at("pin_max_retries").get<int>();
    s.puk_retries = j.at("puk_retries").get<int>();
    s.puk_max_retries = j.at("puk_max_retries").get<int>();
    auto alg = pcsc::piv::AlgorithmFromByte(j.at("mgmt_algorithm").get<uint8_t>());
    if (!alg || !pcsc::piv::IsSymmetric(*alg)) {
      return Fail(ErrorCode::kStoreCorrupt, "softpiv state: bad management key algorithm");
    }
    s.mgmt_algorithm = *alg;
    KW_ASSIGN_OR_RETURN(Bytes mk, hex(j.at("mgmt_key")));
    s.mgmt_key = SecretBytes(mk);
    OPENSSL_cleanse(mk.data(), mk.size());
    for (auto& [k, v] : j.at("objects").items()) {
      KW_ASSIGN_OR_RETURN(Bytes tag, HexDecode(k));
      uint32_t t = 0;
      for (uint8_t b : tag) t = (t << 8) | b;
      KW_ASSIGN_OR_RETURN(s.objects[t], hex(v));
    }
    for (auto& [k, v] : j.at("keys").items()) {
      KW_ASSIGN_OR_RETURN(Bytes slot, HexDecode(k));
      auto a = pcsc::piv::AlgorithmFromByte(v.at("algorithm").get<uint8_t>());
      KW_ASSIGN_OR_RETURN(Bytes der, hex(v.at("pkcs8")));
      const unsigned char* p = der.data();
      EVP_PKEY* key = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
      OPENSSL_cleanse(der.data(), der.size());
      if (slot.size() != 1 || !a || !key) {
        EVP_PKEY_free(key);
        return Fail(ErrorCode::kStoreCorrupt, "softpiv state: bad key entry");
      }
      s.keys[slot[0]] = SlotKey{*a, EvpPkeyPtr(key), v.value("origin", uint8_t{1})};
    }
  } catch (const nlohmann::json::exception&) {
    return Fail(ErrorCode::kStoreCorrupt, "softpiv state: missing or mistyped field");
  }
  return s;
}

Result<void> CardState::Save(const std::string& path) const {
  nlohmann::json j;
  j["version"] = 1;
  j["pin"] = HexEncode(pin.reveal());
  j["puk"] = HexEncode(puk.reveal());
  j["pin_retries"] = pin_retries;
  j["pin_max_retries"] = pin_max_retries;
  j["puk_retries"] = puk_retries;
  j["puk_max_retries"] = puk_max_retries;
  j["mgmt_algorithm"] = static_cast<int>(mgmt_algorithm);
  j["mgmt_key"] = HexEncode(mgmt_key.reveal());
  j["objects"] = nlohmann::json::object();
  for (const auto& [tag, v] : objects) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), tag > 0xffff ? "%06x" : (tag > 0xff ? "%04x" : "%02x"), tag);
    j["objects"][buf] = HexEncode(v);
  }
  j["keys"] = nlohmann::json::object();
  for (const auto& [slot, k] : keys) {
    unsigned char* der = nullptr;
    int len = i2d_PrivateKey(k.key.get(), &der);
    if (len <= 0) return Fail(ErrorCode::kCryptoInternal, TakeOpensslError("i2d_PrivateKey"));
    char buf[4];
    std::snprintf(buf, sizeof(buf), "%02x", slot);
    j["keys"][buf] = {{"algorithm", static_cast<int>(k.algorithm)},
                      {"pkcs8", HexEncode(ByteSpan(der, static_cast<size_t>(len)))},
                      {"origin", static_cast<int>(k.origin)}};
    OPENSSL_clear_free(der, static_cast<size_t>(len));
  }
  std::string text = j.dump(1);  // holds PINs and keys: wiped below
  struct Wiper {
    std::string& s;
    ~Wiper() { OPENSSL_cleanse(s.data(), s.size()); }
  } wipe_text{text};
  // mkstemp creates the file with mode 0600.
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) return Fail(ErrorCode::kStoreIo, std::string("mkstemp: ") + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlink(tmp.c_str());
      return Fail(ErrorCode::kStoreIo, "write state");
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kStoreIo, "fsync state");
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kStoreIo, std::string("rename state: ") + std::strerror(errno));
  }
  return Ok();
}

}  // namespace keyward::softpiv
