#include "tools/softctap/soft_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/cbor.h"
#include "core/cbor_writer.h"
#include "core/hash.h"

namespace keyward::softctap {
namespace {

constexpr uint64_t kFormatVersion = 1;
// "keyward-softctap" in ASCII: the model's AAGUID.
constexpr uint8_t kAaguid[16] = {'k', 'e', 'y', 'w', 'a', 'r', 'd', '-',
                                 's', 'o', 'f', 't', 'c', 't', 'a', 'p'};

Unexpected Corrupt(const char* what) {
  return Fail(ErrorCode::kStoreCorrupt, std::string("soft authenticator state: ") + what);
}

Result<SecretBytes> NewSecret(size_t n) {
  KW_ASSIGN_OR_RETURN(Bytes b, RandomBytes(n));
  SecretBytes s(b);
  OPENSSL_cleanse(b.data(), b.size());
  return s;
}

void EncodeCredential(CborWriter& w, const ResidentCredential& c) {
  w.Map(14);
  w.Uint(1).Bytes(c.id);
  w.Uint(2).Text(c.rp_id);
  w.Uint(3).Text(c.rp_name);
  w.Uint(4).Bytes(c.user_id);
  w.Uint(5).Text(c.user_name);
  w.Uint(6).Text(c.user_display_name);
  w.Uint(7).Int(static_cast<int64_t>(c.alg));
  w.Uint(8).Bytes(c.private_key.reveal());
  w.Uint(9).Uint(c.cred_protect);
  w.Uint(10).Bytes(c.cred_random_uv.reveal());
  w.Uint(11).Bytes(c.cred_random_no_uv.reveal());
  w.Uint(12).Bytes(c.cred_blob);
  w.Uint(13).Bytes(c.large_blob_key.reveal());
  w.Uint(14).Uint(c.sequence);
}

Result<ByteSpan> GetB(const CborItem& m, int64_t k) {
  CborItem v = m.Find(k);
  if (!v || !v.IsBytes()) return Corrupt("missing byte string");
  return v.GetBytes();
}
Result<std::string> GetT(const CborItem& m, int64_t k) {
  CborItem v = m.Find(k);
  if (!v || !v.IsText()) return Corrupt("missing text");
  KW_ASSIGN_OR_RETURN(std::string_view s, v.GetText());
  return std::string(s);
}
Result<int64_t> GetI(const CborItem& m, int64_t k) {
  CborItem v = m.Find(k);
  if (!v || !v.IsInt()) return Corrupt("missing integer");
  return v.GetInt();
}
Result<bool> GetBool(const CborItem& m, int64_t k) {
  CborItem v = m.Find(k);
  if (!v || !v.IsBool()) return Corrupt("missing boolean");
  return v.GetBool();
}

Result<ResidentCredential> DecodeCredential(const CborItem& m) {
  if (!m.IsMap()) return Corrupt("credential is not a map");
  ResidentCredential c;
  KW_ASSIGN_OR_RETURN(ByteSpan id, GetB(m, 1));
  c.id = ToBytes(id);
  KW_ASSIGN_OR_RETURN(c.rp_id, GetT(m, 2));
  KW_ASSIGN_OR_RETURN(c.rp_name, GetT(m, 3));
  KW_ASSIGN_OR_RETURN(ByteSpan uid, GetB(m, 4));
  c.user_id = ToBytes(uid);
  KW_ASSIGN_OR_RETURN(c.user_name, GetT(m, 5));
  KW_ASSIGN_OR_RETURN(c.user_display_name, GetT(m, 6));
  KW_ASSIGN_OR_RETURN(int64_t alg, GetI(m, 7));
  if (alg != -7 && alg != -8) return Corrupt("credential algorithm");
  c.alg = static_cast<KeyAlg>(alg);
  KW_ASSIGN_OR_RETURN(ByteSpan priv, GetB(m, 8));
  if (priv.size() != 32) return Corrupt("credential key");
  c.private_key = SecretBytes(priv);
  KW_ASSIGN_OR_RETURN(int64_t prot, GetI(m, 9));
  if (prot < 1 || prot > 3) return Corrupt("credProtect");
  c.cred_protect = static_cast<uint8_t>(prot);
  KW_ASSIGN_OR_RETURN(ByteSpan cru, GetB(m, 10));
  c.cred_random_uv = SecretBytes(cru);
  KW_ASSIGN_OR_RETURN(ByteSpan crn, GetB(m, 11));
  c.cred_random_no_uv = SecretBytes(crn);
  KW_ASSIGN_OR_RETURN(ByteSpan blob, GetB(m, 12));
  c.cred_blob = ToBytes(blob);
  KW_ASSIGN_OR_RETURN(ByteSpan lbk, GetB(m, 13));
  c.large_blob_key = SecretBytes(lbk);
  KW_ASSIGN_OR_RETURN(int64_t seq, GetI(m, 14));
  c.sequence = static_cast<uint64_t>(seq);
  return c;
}

}  // namespace

Result<SoftState> NewSoftState() {
  SoftState s;
  s.aaguid.assign(std::begin(kAaguid), std::end(kAaguid));
  KW_ASSIGN_OR_RETURN(s.master_key, NewSecret(32));
  KW_ASSIGN_OR_RETURN(s.attestation, CreateAttestationMaterial(s.aaguid));
  return s;
}

Result<void> ResetSoftState(SoftState& state) {
  KW_ASSIGN_OR_RETURN(state.master_key, NewSecret(32));
  state.pin_hash = SecretBytes();
  state.pin_code_points = 0;
  state.pin_retries = kMaxPinRetries;
  state.uv_retries = kMaxUvRetries;
  state.min_pin_length = 4;
  state.min_pin_length_rp_ids.clear();
  state.force_pin_change = false;
  state.always_uv = false;
  state.ep_enabled = false;
  state.credentials.clear();
  return Ok();
}

Bytes EncodeSoftState(const SoftState& s) {
  CborWriter w;
  w.Map(19);
  w.Uint(1).Uint(kFormatVersion);
  w.Uint(2).Bytes(s.aaguid);
  w.Uint(3).Bytes(s.master_key.reveal());
  w.Uint(4).Bytes(s.pin_hash.reveal());
  w.Uint(5).Uint(s.pin_code_points);
  w.Uint(6).Uint(s.pin_retries);
  w.Uint(7).Uint(s.uv_retries);
  w.Uint(8).Uint(s.min_pin_length);
  w.Uint(9).Array(s.min_pin_length_rp_ids.size());
  for (const auto& rp : s.min_pin_length_rp_ids) w.Text(rp);
  w.Uint(10).Bool(s.force_pin_change);
  w.Uint(11).Bool(s.always_uv);
  w.Uint(12).Bool(s.ep_enabled);
  w.Uint(13).Uint(s.sign_count);
  w.Uint(14).Bytes(s.attestation.ca_key.reveal());
  w.Uint(15).Bytes(s.attestation.ca_cert);
  w.Uint(16).Bytes(s.attestation.batch_key.reveal());
  w.Uint(17).Bytes(s.attestation.batch_cert);
  w.Uint(18).Array(s.credentials.size());
  for (const auto& c : s.credentials) EncodeCredential(w, c);
  w.Uint(19).Uint(s.next_sequence);
  return w.Take();
}

Result<SoftState> DecodeSoftState(ByteSpan data) {
  CborLimits limits;
  limits.max_bytes = 4 << 20;
  auto decoded = DecodeCbor(data, limits);
  if (!decoded) return Corrupt("not CBOR");
  const CborItem& m = decoded->item;
  if (!m.IsMap()) return Corrupt("not a map");
  KW_ASSIGN_OR_RETURN(int64_t version, GetI(m, 1));
  if (version != static_cast<int64_t>(kFormatVersion)) {
    return Fail(ErrorCode::kSchemaVersionUnsupported, "soft authenticator state version");
  }
  SoftState s;
  KW_ASSIGN_OR_RETURN(ByteSpan aaguid, GetB(m, 2));
  if (aaguid.size() != 16) return Corrupt("aaguid");
  s.aaguid = ToBytes(aaguid);
  KW_ASSIGN_OR_RETURN(ByteSpan mk, GetB(m, 3));
  if (mk.size() != 32) return Corrupt("master key");
  s.master_key = SecretBytes(mk);
  KW_ASSIGN_OR_RETURN(ByteSpan ph, GetB(m, 4));
  if (!ph.empty() && ph.size() != 16) return Corrupt("pin hash");
  s.pin_hash = SecretBytes(ph);
  KW_ASSIGN_OR_RETURN(int64_t cp, GetI(m, 5));
  KW_ASSIGN_OR_RETURN(int64_t pr, GetI(m, 6));
  KW_ASSIGN_OR_RETURN(int64_t ur, GetI(m, 7));
  KW_ASSIGN_OR_RETURN(int64_t mpl, GetI(m, 8));
  if (cp < 0 || cp > 63 || pr < 0 || pr > kMaxPinRetries || ur < 0 || ur > kMaxUvRetries ||
      mpl < 4 || mpl > 63) {
    return Corrupt("counter out of range");
  }
  s.pin_code_points = static_cast<uint32_t>(cp);
  s.pin_retries = static_cast<uint8_t>(pr);
  s.uv_retries = static_cast<uint8_t>(ur);
  s.min_pin_length = static_cast<uint32_t>(mpl);
  CborItem rps = m.Find(9);
  if (!rps || !rps.IsArray()) return Corrupt("minPinLength RP IDs");
  for (size_t i = 0; i < rps.ArraySize(); ++i) {
    auto t = rps.At(i).GetText();
    if (!t) return Corrupt("minPinLength RP ID");
    s.min_pin_length_rp_ids.emplace_back(*t);
  }
  KW_ASSIGN_OR_RETURN(s.force_pin_change, GetBool(m, 10));
  KW_ASSIGN_OR_RETURN(s.always_uv, GetBool(m, 11));
  KW_ASSIGN_OR_RETURN(s.ep_enabled, GetBool(m, 12));
  KW_ASSIGN_OR_RETURN(int64_t sc, GetI(m, 13));
  if (sc < 0 || sc > 0xffffffffLL) return Corrupt("sign count");
  s.sign_count = static_cast<uint32_t>(sc);
  KW_ASSIGN_OR_RETURN(ByteSpan cak, GetB(m, 14));
  s.attestation.ca_key = SecretBytes(cak);
  KW_ASSIGN_OR_RETURN(ByteSpan cac, GetB(m, 15));
  s.attestation.ca_cert = ToBytes(cac);
  KW_ASSIGN_OR_RETURN(ByteSpan bk, GetB(m, 16));
  s.attestation.batch_key = SecretBytes(bk);
  KW_ASSIGN_OR_RETURN(ByteSpan bc, GetB(m, 17));
  s.attestation.batch_cert = ToBytes(bc);
  CborItem creds = m.Find(18);
  if (!creds || !creds.IsArray()) return Corrupt("credentials");
  for (size_t i = 0; i < creds.ArraySize(); ++i) {
    KW_ASSIGN_OR_RETURN(ResidentCredential c, DecodeCredential(creds.At(i)));
    s.credentials.push_back(std::move(c));
  }
  KW_ASSIGN_OR_RETURN(int64_t ns, GetI(m, 19));
  s.next_sequence = static_cast<uint64_t>(ns);
  return s;
}

Result<void> SaveSoftStateFile(const std::string& path, const SoftState& state) {
  Bytes data = EncodeSoftState(state);
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Fail(ErrorCode::kStoreIo, "create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      unlink(tmp.c_str());
      OPENSSL_cleanse(data.data(), data.size());
      return Fail(ErrorCode::kStoreIo, "write " + tmp + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  OPENSSL_cleanse(data.data(), data.size());
  if (fsync(fd) != 0 || close(fd) != 0) {
    unlink(tmp.c_str());
    return Fail(ErrorCode::kStoreIo, "fsync " + tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return Fail(ErrorCode::kStoreIo, "rename to " + path + ": " + std::strerror(e));
  }
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (dir.empty()) dir = "/";
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Ok();
}

Result<SoftState> LoadSoftStateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return Fail(ErrorCode::kNotFound, "no state file at " + path);
    return Fail(ErrorCode::kStoreIo, "open " + path + ": " + std::strerror(errno));
  }
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Fail(ErrorCode::kStoreIo, "read " + path);
  auto st = DecodeSoftState(data);
  OPENSSL_cleanse(data.data(), data.size());
  return st;
}

}  // namespace keyward::softctap
