// keyward::fido::Device: opening (hidraw path or custom transport), timeouts, cancel, getInfo,
// PIN management, reset and authenticatorConfig over libfido2 1.12.
#include <fido/config.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "fido/device_impl.h"

namespace keyward::fido {
namespace {

void InitLibfido2() {
  static std::once_flag once;
  std::call_once(once, [] { fido_init(0); });
}

// Custom I/O: the path handed to fido_dev_open carries the transport's address.
constexpr char kTransportPrefix[] = "keyward-transport:";

void* TransportOpen(const char* path) {
  void* p = nullptr;
  if (std::strncmp(path, kTransportPrefix, sizeof(kTransportPrefix) - 1) != 0) return nullptr;
  if (std::sscanf(path + sizeof(kTransportPrefix) - 1, "%p", &p) != 1) return nullptr;
  return p;
}
void TransportClose(void*) {}
int TransportRead(void* handle, unsigned char* buf, size_t len, int ms) {
  return static_cast<HidTransport*>(handle)->Read(buf, len, ms);
}
int TransportWrite(void* handle, const unsigned char* buf, size_t len) {
  return static_cast<HidTransport*>(handle)->Write(buf, len);
}

using CborInfoPtr = std::unique_ptr<fido_cbor_info_t, void (*)(fido_cbor_info_t*)>;
void FreeInfo(fido_cbor_info_t* p) { fido_cbor_info_free(&p); }

std::vector<std::string> Strings(char** v, size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.emplace_back(v[i] ? v[i] : "");
  return out;
}

}  // namespace

Result<PinCString> PinCString::From(const SecretBytes& pin) {
  for (uint8_t b : pin.reveal()) {
    if (b == 0) return Fail(ErrorCode::kPinInvalid, "PIN contains a NUL byte");
  }
  std::vector<uint8_t> buf(pin.reveal().begin(), pin.reveal().end());
  buf.push_back(0);
  SecretBytes s(buf);
  OPENSSL_cleanse(buf.data(), buf.size());
  return PinCString(std::move(s));
}

Result<OptionalPin> MakeOptionalPin(const SecretBytes* pin) {
  OptionalPin out;
  if (pin) {
    KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(*pin));
    out.buf_ = std::move(p.buf_);
    out.present_ = true;
  }
  return out;
}

std::optional<bool> DeviceInfo::Option(std::string_view name) const {
  auto it = options.find(std::string(name));
  if (it == options.end()) return std::nullopt;
  return it->second;
}

Device::Device(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Device::Device(Device&&) noexcept = default;
Device& Device::operator=(Device&&) noexcept = default;
Device::~Device() = default;

Result<std::vector<DeviceListing>> ListDevices(size_t max_devices) {
  InitLibfido2();
  fido_dev_info_t* list = fido_dev_info_new(max_devices);
  if (!list) return Fail(ErrorCode::kInternal, "fido_dev_info_new");
  size_t n = 0;
  int rc = fido_dev_info_manifest(list, max_devices, &n);
  std::vector<DeviceListing> out;
  if (rc == FIDO_OK) {
    for (size_t i = 0; i < n; ++i) {
      const fido_dev_info_t* di = fido_dev_info_ptr(list, i);
      DeviceListing d;
      d.path = fido_dev_info_path(di) ? fido_dev_info_path(di) : "";
      d.manufacturer =
          fido_dev_info_manufacturer_string(di) ? fido_dev_info_manufacturer_string(di) : "";
      d.product = fido_dev_info_product_string(di) ? fido_dev_info_product_string(di) : "";
      d.vendor_id = static_cast<uint16_t>(fido_dev_info_vendor(di));
      d.product_id = static_cast<uint16_t>(fido_dev_info_product(di));
      out.push_back(std::move(d));
    }
  }
  fido_dev_info_free(&list, max_devices);
  if (rc != FIDO_OK) return Fail(FidoError(rc, "fido_dev_info_manifest"));
  return out;
}

Result<Device> Device::Open(const std::string& path) {
  InitLibfido2();
  if (path.empty()) return Fail(ErrorCode::kInvalidArgument, "empty device path");
  auto impl = std::make_unique<Impl>();
  impl->dev = fido_dev_new();
  if (!impl->dev) return Fail(ErrorCode::kInternal, "fido_dev_new");
  fido_dev_set_timeout(impl->dev, static_cast<int>(impl->timeout.count()));
  int rc = fido_dev_open(impl->dev, path.c_str());
  if (rc != FIDO_OK) {
    Error e = FidoError(rc, "open " + path);
    if (rc == FIDO_ERR_RX || rc == FIDO_ERR_TX || rc == FIDO_ERR_INTERNAL) {
      e.code = ErrorCode::kFidoDeviceNotFound;
    }
    return Fail(std::move(e));
  }
  return Device(std::move(impl));
}

Result<Device> Device::OpenTransport(HidTransport* transport) {
  InitLibfido2();
  if (!transport) return Fail(ErrorCode::kInvalidArgument, "null transport");
  auto impl = std::make_unique<Impl>();
  impl->dev = fido_dev_new();
  if (!impl->dev) return Fail(ErrorCode::kInternal, "fido_dev_new");
  fido_dev_io_t io = {TransportOpen, TransportClose, TransportRead, TransportWrite};
  int rc = fido_dev_set_io_functions(impl->dev, &io);
  if (rc != FIDO_OK) return Fail(FidoError(rc, "fido_dev_set_io_functions"));
  char path[64];
  std::snprintf(path, sizeof(path), "%s%p", kTransportPrefix, static_cast<void*>(transport));
  fido_dev_set_timeout(impl->dev, static_cast<int>(impl->timeout.count()));
  rc = fido_dev_open(impl->dev, path);
  if (rc != FIDO_OK) return Fail(FidoError(rc, "open transport"));
  if (!fido_dev_is_fido2(impl->dev)) {
    return Fail(ErrorCode::kFidoDeviceError, "device did not answer getInfo");
  }
  return Device(std::move(impl));
}

void Device::SetTimeout(std::chrono::milliseconds timeout) {
  impl_->timeout = timeout.count() > 0 ? timeout : std::chrono::milliseconds(1);
}

Result<void> Device::Cancel() {
  int rc = fido_dev_cancel(impl_->dev);
  if (rc != FIDO_OK) return Fail(FidoError(rc, "cancel"));
  return Ok();
}

Result<DeviceInfo> Device::GetInfo() {
  CborInfoPtr ci(fido_cbor_info_new(), FreeInfo);
  if (!ci) return Fail(ErrorCode::kInternal, "fido_cbor_info_new");
  KW_TRY(impl_->Run("getInfo", [&] { return fido_dev_get_cbor_info(impl_->dev, ci.get()); }));
  const fido_cbor_info_t* c = ci.get();
  DeviceInfo info;
  info.versions = Strings(fido_cbor_info_versions_ptr(c), fido_cbor_info_versions_len(c));
  info.extensions = Strings(fido_cbor_info_extensions_ptr(c), fido_cbor_info_extensions_len(c));
  info.transports = Strings(fido_cbor_info_transports_ptr(c), fido_cbor_info_transports_len(c));
  const unsigned char* aaguid = fido_cbor_info_aaguid_ptr(c);
  info.aaguid.assign(aaguid, aaguid + fido_cbor_info_aaguid_len(c));
  char** names = fido_cbor_info_options_name_ptr(c);
  const bool* values = fido_cbor_info_options_value_ptr(c);
  for (size_t i = 0; i < fido_cbor_info_options_len(c); ++i) info.options[names[i]] = values[i];
  const uint8_t* protocols = fido_cbor_info_protocols_ptr(c);
  info.pin_protocols.assign(protocols, protocols + fido_cbor_info_protocols_len(c));
  for (size_t i = 0; i < fido_cbor_info_algorithm_count(c); ++i) {
    const char* type = fido_cbor_info_algorithm_type(c, i);
    if (type && std::strcmp(type, "public-key") == 0) {
      info.algorithms.push_back(fido_cbor_info_algorithm_cose(c, i));
    }
  }
  char** cert_names = fido_cbor_info_certs_name_ptr(c);
  const uint64_t* cert_values = fido_cbor_info_certs_value_ptr(c);
  for (size_t i = 0; i < fido_cbor_info_certs_len(c); ++i) {
    info.certifications[cert_names[i]] = cert_values[i];
  }
  info.max_msg_size = fido_cbor_info_maxmsgsiz(c);
  info.max_credential_count_in_list = fido_cbor_info_maxcredcntlst(c);
  info.max_credential_id_length = fido_cbor_info_maxcredidlen(c);
  info.force_pin_change = fido_cbor_info_new_pin_required(c);
  info.min_pin_length = fido_cbor_info_minpinlen(c);
  info.firmware_version = fido_cbor_info_fwversion(c);
  info.max_cred_blob_length = fido_cbor_info_maxcredbloblen(c);
  info.max_rp_ids_for_set_min_pin_length = fido_cbor_info_maxrpid_minpinlen(c);
  info.uv_modality = fido_cbor_info_uv_modality(c);
  int64_t remaining = fido_cbor_info_rk_remaining(c);
  if (remaining >= 0) info.remaining_discoverable_credentials = remaining;
  if (info.Option("clientPin").has_value()) {
    auto r = PinRetries();
    if (r) info.pin_retries = *r;
  }
  if (info.Option("uv").has_value()) {
    auto r = UvRetries();
    if (r) info.uv_retries = *r;
  }
  return info;
}

Result<int> Device::PinRetries() {
  int n = 0;
  KW_TRY(impl_->Run("getPINRetries", [&] { return fido_dev_get_retry_count(impl_->dev, &n); }));
  return n;
}

Result<int> Device::UvRetries() {
  int n = 0;
  KW_TRY(impl_->Run("getUVRetries", [&] { return fido_dev_get_uv_retry_count(impl_->dev, &n); }));
  return n;
}

Result<void> Device::SetPin(const SecretBytes& pin) {
  KW_ASSIGN_OR_RETURN(PinCString p, PinCString::From(pin));
  return impl_->Run(
      "setPIN", [&] { return fido_dev_set_pin(impl_->dev, p.c_str(), nullptr); },
      FidoContext::kPinChange);
}

Result<void> Device::ChangePin(const SecretBytes& old_pin, const SecretBytes& new_pin) {
  KW_ASSIGN_OR_RETURN(PinCString o, PinCString::From(old_pin));
  KW_ASSIGN_OR_RETURN(PinCString n, PinCString::From(new_pin));
  return impl_->Run(
      "changePIN", [&] { return fido_dev_set_pin(impl_->dev, n.c_str(), o.c_str()); },
      FidoContext::kPinChange);
}

Result<void> Device::Reset() {
  return impl_->Run("reset", [&] { return fido_dev_reset(impl_->dev); });
}

Result<void> Device::ToggleAlwaysUv(const SecretBytes* pin) {
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  return impl_->Run("toggleAlwaysUv",
                    [&] { return fido_dev_toggle_always_uv(impl_->dev, p.c_str()); });
}

Result<void> Device::SetMinPinLength(size_t length, const SecretBytes* pin) {
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  return impl_->Run(
      "setMinPINLength", [&] { return fido_dev_set_pin_minlen(impl_->dev, length, p.c_str()); },
      FidoContext::kPinChange);
}

Result<void> Device::SetMinPinLengthRpIds(const std::vector<std::string>& rp_ids,
                                          const SecretBytes* pin) {
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  std::vector<const char*> ids;
  for (const auto& id : rp_ids) ids.push_back(id.c_str());
  return impl_->Run("setMinPINLength(RP IDs)", [&] {
    return fido_dev_set_pin_minlen_rpid(impl_->dev, ids.data(), ids.size(), p.c_str());
  });
}

Result<void> Device::ForcePinChange(const SecretBytes* pin) {
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  return impl_->Run("forcePINChange",
                    [&] { return fido_dev_force_pin_change(impl_->dev, p.c_str()); });
}

Result<void> Device::EnableEnterpriseAttestation(const SecretBytes* pin) {
  KW_ASSIGN_OR_RETURN(OptionalPin p, MakeOptionalPin(pin));
  return impl_->Run("enableEnterpriseAttestation",
                    [&] { return fido_dev_enable_entattest(impl_->dev, p.c_str()); });
}

}  // namespace keyward::fido
