// keyward-test-ocsp-responder: a test-only OCSP responder (RFC 6960) that misbehaves on purpose,
// for the hostile-responder tests of pkcs11/ocsp_client. `openssl ocsp` always echoes the nonce
// and signs correctly; this one can answer with a wrong or missing nonce, a bad signature, a
// signer the CA never authorised, stale or inverted validity times, another certificate's id,
// malformed bytes, an HTTP error, an unsuccessful OCSP status, or not at all.
//
// It listens on 127.0.0.1 only, on an ephemeral port it writes to --port-file once it accepts
// (write to a temporary name + rename, so a reader never sees a partial number), serves requests
// one at a time, and exits by itself after --lifetime seconds (alarm). The test stops it by PID.
//
//   keyward-test-ocsp-responder --port-file F --ca CA.pem --signer CERT.pem --signer-key KEY.pem
//       [--status good|revoked|unknown] [--mode MODE] [--this-update S] [--next-update S|none]
//       [--lifetime S]
//   MODE: echo (default), wrong-nonce, no-nonce, other-certid, bad-signature, no-certs,
//   garbage-der,
//         garbage-text, http-error, silent, try-later, unauthorized
//   --this-update / --next-update: seconds relative to now (defaults -60 and +86400).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string port_file, ca, signer, signer_key;
  std::string status = "good";
  std::string mode = "echo";
  long this_update = -60;    // NOLINT(runtime/int)
  long next_update = 86400;  // NOLINT(runtime/int)
  bool no_next_update = false;
  unsigned lifetime = 60;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "keyward-test-ocsp-responder: %s\n", what.c_str());
  std::exit(2);
}

X509* ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) Die("cannot open " + path);
  X509* c = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!c) Die("no certificate in " + path);
  return c;
}

EVP_PKEY* ReadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) Die("cannot open " + path);
  EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!k) Die("no key in " + path);
  return k;
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Die("missing value for " + a);
    std::string v = argv[++i];
    if (a == "--port-file") {
      o.port_file = v;
    } else if (a == "--ca") {
      o.ca = v;
    } else if (a == "--signer") {
      o.signer = v;
    } else if (a == "--signer-key") {
      o.signer_key = v;
    } else if (a == "--status") {
      o.status = v;
    } else if (a == "--mode") {
      o.mode = v;
    } else if (a == "--this-update") {
      o.this_update = std::strtol(v.c_str(), nullptr, 10);
    } else if (a == "--next-update") {
      if (v == "none") {
        o.no_next_update = true;
      } else {
        o.next_update = std::strtol(v.c_str(), nullptr, 10);
      }
    } else if (a == "--lifetime") {
      o.lifetime = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    } else {
      Die("unknown option " + a);
    }
  }
  if (o.port_file.empty() || o.ca.empty() || o.signer.empty() || o.signer_key.empty()) {
    Die("--port-file, --ca, --signer and --signer-key are required");
  }
  if (o.lifetime == 0 || o.lifetime > 600) Die("--lifetime must be 1..600");
  return o;
}

// Reads one HTTP request (headers + Content-Length body), each read bounded by 5 s.
bool ReadRequest(int fd, std::string* body) {
  std::string in;
  size_t header_end = std::string::npos;
  size_t want = 0;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = in.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::string head = in.substr(0, header_end);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t cl = head.find("content-length:");
        if (cl == std::string::npos) return false;
        want = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
        if (want > 65536) return false;
      }
    }
    if (header_end != std::string::npos && in.size() >= header_end + 4 + want) {
      *body = in.substr(header_end + 4, want);
      return true;
    }
    if (in.size() > 70000) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
  }
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string HttpOk(const std::string& body) {
  return "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

std::string Der(OCSP_RESPONSE* resp) {
  unsigned char* der = nullptr;
  int len = i2d_OCSP_RESPONSE(resp, &der);
  if (len <= 0) Die("i2d_OCSP_RESPONSE");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// The OCSP response body for `request_der`, or "" when the request is unreadable.
std::string Answer(const Options& o, X509* ca, X509* signer, EVP_PKEY* key,
                   const std::string& request_der) {
  if (o.mode == "try-later" || o.mode == "unauthorized") {
    OCSP_RESPONSE* r = OCSP_response_create(
        o.mode == "try-later" ? OCSP_RESPONSE_STATUS_TRYLATER : OCSP_RESPONSE_STATUS_UNAUTHORIZED,
        nullptr);
    std::string out = Der(r);
    OCSP_RESPONSE_free(r);
    return out;
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(request_der.data());
  OCSP_REQUEST* req = d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size()));
  if (!req || OCSP_request_onereq_count(req) < 1) {
    OCSP_REQUEST_free(req);
    return "";
  }
  OCSP_CERTID* asked = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
  OCSP_CERTID* id = nullptr;
  if (o.mode == "other-certid") {
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, asked);
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    BN_add_word(bn, 1);
    ASN1_INTEGER* other = BN_to_ASN1_INTEGER(bn, nullptr);
    id =
        OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca), X509_get0_pubkey_bitstr(ca), other);
    ASN1_INTEGER_free(other);
    BN_free(bn);
  } else {
    id = OCSP_CERTID_dup(asked);
  }
  time_t now = std::time(nullptr);
  ASN1_GENERALIZEDTIME* this_upd = ASN1_GENERALIZEDTIME_adj(nullptr, now, 0, o.this_update);
  ASN1_GENERALIZEDTIME* next_upd =
      o.no_next_update ? nullptr : ASN1_GENERALIZEDTIME_adj(nullptr, now, 0, o.next_update);
  ASN1_GENERALIZEDTIME* rev_time = ASN1_GENERALIZEDTIME_adj(nullptr, now, -1, 0);
  int status = o.status == "revoked"   ? V_OCSP_CERTSTATUS_REVOKED
               : o.status == "unknown" ? V_OCSP_CERTSTATUS_UNKNOWN
                                       : V_OCSP_CERTSTATUS_GOOD;
  OCSP_BASICRESP* bs = OCSP_BASICRESP_new();
  if (!OCSP_basic_add1_status(bs, id, status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                              status == V_OCSP_CERTSTATUS_REVOKED ? rev_time : nullptr, this_upd,
                              next_upd)) {
    Die("OCSP_basic_add1_status");
  }
  if (o.mode == "wrong-nonce") {
    unsigned char other[32];
    RAND_bytes(other, sizeof(other));
    OCSP_basic_add1_nonce(bs, other, sizeof(other));
  } else if (o.mode != "no-nonce") {
    OCSP_copy_nonce(bs, req);
  }
  unsigned long flags = o.mode == "no-certs" ? OCSP_NOCERTS : 0;  // NOLINT(runtime/int)
  if (OCSP_basic_sign(bs, signer, key, EVP_sha256(), nullptr, flags) != 1) Die("OCSP_basic_sign");
  if (o.mode == "bad-signature") {
    // The signature field is owned by the response; flip a bit of its last byte.
    auto* sig = const_cast<ASN1_OCTET_STRING*>(OCSP_resp_get0_signature(bs));
    sig->data[sig->length - 1] ^= 0x01;
  }
  OCSP_RESPONSE* resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
  std::string out = Der(resp);
  OCSP_RESPONSE_free(resp);
  OCSP_BASICRESP_free(bs);
  ASN1_GENERALIZEDTIME_free(this_upd);
  ASN1_GENERALIZEDTIME_free(next_upd);
  ASN1_GENERALIZEDTIME_free(rev_time);
  OCSP_CERTID_free(id);
  OCSP_REQUEST_free(req);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = Parse(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  alarm(o.lifetime);  // bounded lifetime: SIGALRM ends the process whatever it is doing
  X509* ca = ReadCert(o.ca);
  X509* signer = ReadCert(o.signer);
  EVP_PKEY* key = ReadKey(o.signer_key);

  int ls = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (ls < 0 || bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(ls, 16) != 0 ||
      getsockname(ls, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    Die(std::string("listen: ") + std::strerror(errno));
  }
  std::string tmp = o.port_file + ".tmp";
  FILE* pf = std::fopen(tmp.c_str(), "w");
  if (!pf) Die("cannot write " + tmp);
  std::fprintf(pf, "%d\n", ntohs(a.sin_port));
  std::fclose(pf);
  if (std::rename(tmp.c_str(), o.port_file.c_str()) != 0) Die("rename port file");

  std::vector<int> held;  // mode silent: connections kept open, never answered
  for (;;) {
    int fd = accept(ls, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR) continue;
      Die("accept");
    }
    std::string body;
    if (!ReadRequest(fd, &body)) {
      close(fd);
      continue;
    }
    if (o.mode == "silent") {
      held.push_back(fd);
      continue;
    }
    if (o.mode == "http-error") {
      WriteAll(fd, "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    } else if (o.mode == "garbage-der") {
      // Well-formed DER framing (a SEQUENCE of an OCTET STRING) that is no OCSPResponse.
      WriteAll(fd, HttpOk(std::string("\x30\x0a\x04\x08garbage!", 12)));
    } else if (o.mode == "garbage-text") {
      WriteAll(fd, HttpOk("this is not an OCSP response\n"));
    } else {
      std::string der = Answer(o, ca, signer, key, body);
      if (der.empty()) {
        WriteAll(fd, "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      } else {
        WriteAll(fd, HttpOk(der));
      }
    }
    close(fd);
  }
}
