// Module loading against real modules: SoftHSM2 (v2.40 C_GetFunctionList) and OpenSC's
// PKCS#11 module (exports the v3.0 C_GetInterface; without pcscd it simply lists no slot).
#include "pkcs11/module.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>

#include <filesystem>
#include <map>

#include "pkcs11/session.h"
#include "pkcs11/token.h"
#include "tests/unit/pkcs11/test_env.h"

namespace keyward::pkcs11 {
namespace {

constexpr char kOpenScModule[] = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

TEST(ModuleTest, MissingFileOrNotAModule) {
  auto m = Module::Load("/nonexistent/module.so");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kPkcs11ModuleLoadFailed);
  auto not_module = Module::Load("/etc/hostname");
  ASSERT_FALSE(not_module);
  EXPECT_EQ(not_module.error().code, ErrorCode::kPkcs11ModuleLoadFailed);
}

TEST(ModuleTest, SharedInitialisationIsRefcounted) {
  testing::SoftHsm hsm;
  hsm.InitToken("t1");
  auto a = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(a) << a.error().ToString();
  auto b = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_FALSE((*a)->via_get_interface());  // SoftHSM 2.6 is a v2.40 module
  auto info = (*a)->Info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->manufacturer, "SoftHSM");
  CK_FUNCTION_LIST* fn = (*a)->fn();
  a->reset();
  // Still initialised for b: C_GetSlotList works.
  CK_ULONG n = 0;
  EXPECT_EQ(fn->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
  b->reset();
  // The last user finalised it (the library may stay mapped in the process for other users,
  // so ask through a fresh, independent dlopen handle).
  void* dl = dlopen(testing::kSoftHsmModule, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(dl, nullptr);
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
  CK_FUNCTION_LIST* raw = nullptr;
  ASSERT_EQ(get_list(&raw), CKR_OK);
  EXPECT_EQ(raw->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  dlclose(dl);
}

TEST(ModuleTest, ToleratesAlreadyInitialisedAndLeavesItInitialised) {
  testing::SoftHsm hsm;
  hsm.InitToken("t1");
  void* dl = dlopen(testing::kSoftHsmModule, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(dl, nullptr);
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
  CK_FUNCTION_LIST* raw = nullptr;
  ASSERT_EQ(get_list(&raw), CKR_OK);
  ASSERT_EQ(raw->C_Initialize(nullptr), CKR_OK);  // another component of the process
  {
    auto m = Module::Load(testing::kSoftHsmModule);
    ASSERT_TRUE(m) << m.error().ToString();
    TokenSelector sel;
    sel.label = "t1";
    EXPECT_TRUE(SelectToken(**m, sel));
  }
  CK_ULONG n = 0;
  EXPECT_EQ(raw->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);  // not finalised behind its back
  EXPECT_EQ(raw->C_Finalize(nullptr), CKR_OK);
  dlclose(dl);
}

TEST(ModuleTest, OpenScIsLoadedThroughGetInterface) {
  auto m = Module::Load(kOpenScModule);
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_TRUE((*m)->via_get_interface());
  auto info = (*m)->Info();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->manufacturer, "OpenSC Project");
  EXPECT_EQ(info->cryptoki_major, 3);
}

TEST(TokenTest, ListsAndSelectsTokens) {
  testing::SoftHsm hsm;
  hsm.InitToken("alpha");
  hsm.InitToken("beta");
  auto m = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(m);
  auto tokens = ListTokens(**m);
  ASSERT_TRUE(tokens);
  // Two initialised tokens plus SoftHSM's spare free slot.
  ASSERT_EQ(tokens->size(), 3u);
  for (const auto& t : *tokens) {
    if (!t.token_initialized) continue;
    EXPECT_TRUE(t.login_required);
    EXPECT_TRUE(t.user_pin_initialized);
    EXPECT_FALSE(t.protected_authentication_path);
    EXPECT_EQ(t.manufacturer, "SoftHSM project");
    EXPECT_FALSE(t.serial.empty());
  }
  TokenSelector by_label;
  by_label.label = "beta";
  auto beta = SelectToken(**m, by_label);
  ASSERT_TRUE(beta);
  EXPECT_EQ(beta->label, "beta");
  TokenSelector by_serial;
  by_serial.serial = beta->serial;
  auto beta2 = SelectToken(**m, by_serial);
  ASSERT_TRUE(beta2);
  EXPECT_EQ(beta2->slot.id, beta->slot.id);
  auto uri = Pkcs11Uri::Parse("pkcs11:token=alpha;manufacturer=SoftHSM%20project");
  ASSERT_TRUE(uri);
  auto alpha = SelectToken(**m, TokenSelector::FromUri(*uri));
  ASSERT_TRUE(alpha);
  EXPECT_EQ(alpha->label, "alpha");
  EXPECT_EQ(SelectToken(**m, TokenSelector{}).error().code, ErrorCode::kInvalidArgument);
  TokenSelector none;
  none.label = "gamma";
  EXPECT_EQ(SelectToken(**m, none).error().code, ErrorCode::kPkcs11TokenNotFound);
}

TEST(TokenTest, PollingSlotEventsWithoutChangeReportsNone) {
  testing::SoftHsm hsm;
  hsm.InitToken("alpha");
  auto m = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(m);
  auto ev = WaitForSlotEvent(**m, false);
  ASSERT_TRUE(ev) << ev.error().ToString();
  EXPECT_FALSE(ev->has_value()) << **ev;
}

TEST(TokenTest, SoftHsmHasNoBlockingSlotEvents) {
  testing::SoftHsm hsm;
  hsm.InitToken("alpha");
  auto m = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(m);
  // SoftHSM 2.6.1 refuses the blocking form: a clear code, the CKR_* kept.
  auto blocking = WaitForSlotEvent(**m, true);
  ASSERT_FALSE(blocking);
  EXPECT_EQ(blocking.error().code, ErrorCode::kNotSupported);
  EXPECT_EQ(blocking.error().native, CKR_FUNCTION_NOT_SUPPORTED);
  // It answers polls with CKR_NO_EVENT, so the bounded wait ends at its deadline.
  auto bounded = WaitForSlotEventFor(**m, std::chrono::milliseconds(300));
  ASSERT_FALSE(bounded);
  EXPECT_EQ(bounded.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(bounded.error().native, CKR_NO_EVENT);
  auto watcher = TokenWatcher::Open(testing::kSoftHsmModule);
  ASSERT_TRUE(watcher) << watcher.error().ToString();
  auto ev = watcher->Wait(std::chrono::milliseconds(300));
  ASSERT_FALSE(ev);
  EXPECT_EQ(ev.error().code, ErrorCode::kTimeout);
}

// p11-kit discovery: Debian's softhsm2 and opensc-pkcs11 packages register their modules in
// /usr/share/p11-kit/modules (softhsm2.module, opensc-pkcs11.module).
std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

TEST(P11KitTest, ListsTheModulesDebianRegisters) {
  ASSERT_TRUE(std::filesystem::exists("/usr/share/p11-kit/modules/softhsm2.module"));
  ASSERT_TRUE(std::filesystem::exists("/usr/share/p11-kit/modules/opensc-pkcs11.module"));
  auto modules = RegisteredModules();
  std::map<std::string, std::string> by_name;
  for (const auto& m : modules) by_name[m.name] = m.path;
  ASSERT_TRUE(by_name.count("softhsm2"));
  ASSERT_TRUE(by_name.count("opensc-pkcs11"));
  EXPECT_EQ(Canonical(by_name["softhsm2"]), Canonical(testing::kSoftHsmModule));
  EXPECT_EQ(Canonical(by_name["opensc-pkcs11"]), Canonical(kOpenScModule));
  // Every module file p11-kit reads from that directory is listed under its name.
  for (const auto& entry : std::filesystem::directory_iterator("/usr/share/p11-kit/modules")) {
    if (entry.path().extension() != ".module") continue;
    EXPECT_TRUE(by_name.count(entry.path().stem().string())) << entry.path();
  }
}

TEST(P11KitTest, LoadByNameLogsInToSoftHsm) {
  testing::SoftHsm hsm;
  hsm.InitToken("named");
  auto by_name = Module::Load("softhsm2");
  ASSERT_TRUE(by_name) << by_name.error().ToString();
  // The same file as by path: one shared initialisation.
  auto by_path = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(by_path);
  EXPECT_EQ(by_name->get(), by_path->get());
  TokenSelector sel;
  sel.label = "named";
  auto token = SelectToken(**by_name, sel);
  ASSERT_TRUE(token) << token.error().ToString();
  auto s = Session::Open(*by_name, *token);
  ASSERT_TRUE(s) << s.error().ToString();
  auto wrong = s->Login(SecretBytes(std::string_view("999999")));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kPinIncorrect);
  ASSERT_TRUE(s->Login(SecretBytes(std::string_view(testing::kUserPin))));
  // The public API takes the name wherever it takes a module path.
  auto tokens = ListModuleTokens("softhsm2");
  ASSERT_TRUE(tokens) << tokens.error().ToString();
  bool found = false;
  for (const auto& t : *tokens) found = found || t.label == "named";
  EXPECT_TRUE(found);
}

TEST(P11KitTest, UnknownNameIsModuleLoadFailed) {
  auto m = Module::Load("no-such-p11-kit-module");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kPkcs11ModuleLoadFailed);
}

TEST(SessionTest, FindsKeysByIdAndByPublicKeyFallback) {
  testing::SoftHsm hsm;
  hsm.InitToken("t");
  int64_t now = UnixNow();
  testing::TestCa ca = testing::TestCa::Create("CA", now);
  testing::LeafSpec spec;
  spec.not_before = now - testing::kDay;
  spec.not_after = now + testing::kDay;
  EvpPkeyPtr ec = hsm.GenerateKey("t", "01", "EC:prime256v1");
  EvpPkeyPtr rsa = hsm.GenerateKey("t", "02", "rsa:2048");
  X509Ptr ec_cert = testing::IssueLeaf(ca, ec.get(), spec);
  X509Ptr rsa_cert = testing::IssueLeaf(ca, rsa.get(), spec);
  // Certificates stored under ids that do not match their keys' ids.
  hsm.WriteCertificate("t", "a1", ec_cert.get(), "ec");
  hsm.WriteCertificate("t", "a2", rsa_cert.get(), "rsa");
  auto m = Module::Load(testing::kSoftHsmModule);
  ASSERT_TRUE(m);
  TokenSelector sel;
  sel.label = "t";
  auto t = SelectToken(**m, sel);
  ASSERT_TRUE(t);
  auto s = Session::Open(*m, *t);
  ASSERT_TRUE(s);
  auto certs = s->FindCertificates();
  ASSERT_TRUE(certs);
  ASSERT_EQ(certs->size(), 2u);
  // Private keys are private objects: not visible before login.
  EXPECT_EQ(s->FindPrivateKeyFor((*certs)[0]).error().code, ErrorCode::kPkcs11ObjectNotFound);
  EXPECT_EQ(s->Login(SecretBytes(std::string_view("999999"))).error().code,
            ErrorCode::kPinIncorrect);
  ASSERT_TRUE(s->Login(SecretBytes(std::string_view(testing::kUserPin))));
  for (const auto& c : *certs) {
    auto k = s->FindPrivateKeyFor(c);
    ASSERT_TRUE(k) << c.label << ": " << k.error().ToString();
    EXPECT_TRUE(k->matched_by_public_key);
    if (c.label == "ec") {
      EXPECT_EQ(k->id, Bytes{0x01});
      EXPECT_EQ(k->key_type, KeyType::kEc);
      EXPECT_EQ(k->bits, 256);
    } else {
      EXPECT_EQ(k->id, Bytes{0x02});
      EXPECT_EQ(k->key_type, KeyType::kRsa);
      EXPECT_EQ(k->bits, 2048);
    }
    EXPECT_TRUE(k->sensitive);
    EXPECT_TRUE(k->never_extractable);
  }
}

}  // namespace
}  // namespace keyward::pkcs11
