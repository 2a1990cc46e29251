#include "app/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace bottega {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bottega_config_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& text) {
    std::string path = (dir_ / "bottega.toml").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Loads `toml` (and env) and expects an invalid_config error naming `key`.
  void expect_error(const std::string& toml, const std::string& key,
                    const std::string& message_part, const Env& env = {}) {
    auto r = load_config(toml.empty() ? std::string() : write(toml), env);
    ASSERT_FALSE(r.ok()) << "expected an error for " << key;
    EXPECT_EQ(r.error().errc, Errc::invalid_argument);
    EXPECT_EQ(r.error().code, "invalid_config");
    EXPECT_EQ(r.error().field, key) << r.error().message;
    EXPECT_NE(r.error().message.find(message_part), std::string::npos)
        << "message: " << r.error().message << "\nexpected to contain: " << message_part;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFileOrEnv) {
  auto r = load_config("", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config& c = *r;
  EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.server.public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c.server.threads, 2);
  EXPECT_EQ(c.server.web_root, "");
  EXPECT_EQ(c.server.max_body_bytes, 1048576);
  EXPECT_EQ(c.store.url, "sqlite://bottega.db");
  EXPECT_EQ(c.store.readers, 2);
  EXPECT_EQ(c.store.max_batch, 256);
  EXPECT_EQ(c.webchat.visitor_messages_per_minute, 30);
  EXPECT_EQ(c.webchat.ip_messages_per_minute, 120);
  EXPECT_EQ(c.webchat.ip_visitors_per_hour, 60);
  EXPECT_TRUE(c.webchat.allowed_origins.empty());
  EXPECT_FALSE(c.outbound.allow_private_networks);
  EXPECT_EQ(c.outbound.timeout_ms, 10000);
  EXPECT_EQ(c.webhooks.max_age_hours, 72);
  EXPECT_EQ(c.webhooks.max_attempts, 25);
  EXPECT_EQ(c.log.level, "info");
}

TEST_F(ConfigTest, EmptyFileGivesDefaults) {
  auto r = load_config(write("# nothing here\n"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server.threads, 2);
}

TEST_F(ConfigTest, FullFile) {
  auto r = load_config(write(R"(
[server]
listen = "0.0.0.0:9090"
public_url = "https://chat.example.com/bottega/"
threads = 8
web_root = "/srv/bottega/web"
max_body_bytes = 2097152

[store]
url = "postgresql://bottega@db/bottega"
readers = 4
max_batch = 512

[webchat]
visitor_messages_per_minute = 10
ip_messages_per_minute = 100
ip_visitors_per_hour = 20
allowed_origins = ["https://Shop.Example.com", "http://localhost:5173/"]

[outbound]
allow_private_networks = true
timeout_ms = 5000

[webhooks]
max_age_hours = 24
max_attempts = 10

[log]
level = "debug"
)"),
                       {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Config& c = *r;
  EXPECT_EQ(c.server.listen, "0.0.0.0:9090");
  EXPECT_EQ(c.server.public_url, "https://chat.example.com/bottega");  // trailing slash dropped
  EXPECT_EQ(c.server.threads, 8);
  EXPECT_EQ(c.server.web_root, "/srv/bottega/web");
  EXPECT_EQ(c.server.max_body_bytes, 2097152);
  EXPECT_EQ(c.store.url, "postgresql://bottega@db/bottega");
  EXPECT_EQ(c.store.readers, 4);
  EXPECT_EQ(c.store.max_batch, 512);
  EXPECT_EQ(c.webchat.visitor_messages_per_minute, 10);
  EXPECT_EQ(c.webchat.ip_messages_per_minute, 100);
  EXPECT_EQ(c.webchat.ip_visitors_per_hour, 20);
  EXPECT_EQ(c.webchat.allowed_origins,
            (std::vector<std::string>{"https://shop.example.com", "http://localhost:5173"}));
  EXPECT_TRUE(c.outbound.allow_private_networks);
  EXPECT_EQ(c.outbound.timeout_ms, 5000);
  EXPECT_EQ(c.webhooks.max_age_hours, 24);
  EXPECT_EQ(c.webhooks.max_attempts, 10);
  EXPECT_EQ(c.log.level, "debug");
}

TEST_F(ConfigTest, UnknownKeysAndSectionsFail) {
  expect_error("[server]\nlisen = \"127.0.0.1:1\"\n", "server.lisen", "unknown key server.lisen");
  expect_error("[storage]\nurl = \"sqlite://x\"\n", "storage", "unknown section storage");
  expect_error("listen = \"127.0.0.1:1\"\n", "listen", "unknown section listen");
  expect_error("[server.tls]\ncert = \"x\"\n", "server.tls", "unknown key server.tls");
  expect_error("server = 3\n", "server", "expected a table");
}

TEST_F(ConfigTest, UnknownKeyMessageHasTheFileLine) {
  expect_error("[server]\nthreads = 2\n\nlisen = \"x\"\n", "server.lisen", "bottega.toml:4:");
}

TEST_F(ConfigTest, WrongTypesNameTheKey) {
  expect_error("[server]\nthreads = \"4\"\n", "server.threads",
               "server.threads: expected an integer between 1 and 64");
  expect_error("[server]\nthreads = 4.0\n", "server.threads", "expected an integer");
  expect_error("[server]\nlisten = 8080\n", "server.listen", "server.listen: expected a string");
  expect_error("[outbound]\nallow_private_networks = \"yes\"\n", "outbound.allow_private_networks",
               "expected true or false");
  expect_error("[webchat]\nallowed_origins = \"https://a.example\"\n", "webchat.allowed_origins",
               "expected an array of strings");
  expect_error("[webchat]\nallowed_origins = [\"https://a.example\", 3]\n",
               "webchat.allowed_origins", "expected an array of strings");
  expect_error("[log]\nlevel = true\n", "log.level", "expected a string");
}

TEST_F(ConfigTest, RangesNameTheKey) {
  expect_error("[server]\nthreads = 0\n", "server.threads",
               "server.threads: expected an integer between 1 and 64");
  expect_error("[server]\nthreads = 65\n", "server.threads", "between 1 and 64");
  expect_error("[server]\nthreads = 9999999999999\n", "server.threads", "between 1 and 64");
  expect_error("[store]\nreaders = 0\n", "store.readers", "between 1 and 64");
  expect_error("[store]\nmax_batch = 10001\n", "store.max_batch", "between 1 and 10000");
  expect_error("[server]\nmax_body_bytes = 1023\n", "server.max_body_bytes",
               "between 1024 and 67108864");
  expect_error("[server]\nmax_body_bytes = 67108865\n", "server.max_body_bytes", "67108864");
  expect_error("[webchat]\nvisitor_messages_per_minute = 0\n",
               "webchat.visitor_messages_per_minute", "expected an integer >= 1");
  expect_error("[webchat]\nip_messages_per_minute = -5\n", "webchat.ip_messages_per_minute",
               ">= 1");
  expect_error("[webchat]\nip_visitors_per_hour = 0\n", "webchat.ip_visitors_per_hour", ">= 1");
  expect_error("[log]\nlevel = \"verbose\"\n", "log.level", "debug, info, warn, error");
  // Boundaries are inclusive.
  EXPECT_TRUE(load_config(write("[server]\nthreads = 64\nmax_body_bytes = 1024\n"), {}).ok());
  EXPECT_TRUE(load_config(write("[store]\nmax_batch = 10000\nreaders = 1\n"), {}).ok());
}

TEST_F(ConfigTest, ListenIsHostColonPort) {
  for (const char* ok :
       {"127.0.0.1:0", "0.0.0.0:65535", "localhost:8080", "[::1]:8080", "[::]:80"}) {
    auto r = load_config("", {{"BOTTEGA_SERVER_LISTEN", ok}});
    EXPECT_TRUE(r.ok()) << ok << ": " << r.error().message;
  }
  for (const char* bad : {"8080", "127.0.0.1", ":8080", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:80x", "::1:8080", "host name:80", "127.0.0.1:"}) {
    expect_error("", "server.listen", "server.listen: expected host:port",
                 {{"BOTTEGA_SERVER_LISTEN", bad}});
  }
}

TEST_F(ConfigTest, PublicUrlMustBeHttp) {
  for (const char* bad : {"ftp://x.example", "chat.example.com", "https://", "https:///path",
                          "https://x.example?q=1", "https://x.example/#f", "https://u:p@x.example",
                          "https://x .example", "https://x.example:99999"}) {
    expect_error("", "server.public_url", "server.public_url: must be an http(s) URL",
                 {{"BOTTEGA_SERVER_PUBLIC_URL", bad}});
  }
  auto r = load_config("", {{"BOTTEGA_SERVER_PUBLIC_URL", "HTTPS://Chat.Example.com:8443//"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server.public_url, "https://chat.example.com:8443");
}

TEST_F(ConfigTest, AllowedOriginsAreOrigins) {
  expect_error(
      "[webchat]\nallowed_origins = [\"https://ok.example\", \"https://shop.example/page\"]\n",
      "webchat.allowed_origins[1]", "must be an http(s) origin");
  expect_error("[webchat]\nallowed_origins = [\"shop.example\"]\n", "webchat.allowed_origins[0]",
               "must be an http(s) origin");
  expect_error("[webchat]\nallowed_origins = [\"*\"]\n", "webchat.allowed_origins[0]", "origin");
}

TEST_F(ConfigTest, StoreUrlSchemes) {
  for (const char* ok : {"sqlite:///var/lib/bottega.db", "sqlite://bottega.db",
                         "postgresql://u@h/db", "postgres://u:p@h:5432/db"}) {
    auto r = load_config("", {{"BOTTEGA_STORE_URL", ok}});
    EXPECT_TRUE(r.ok()) << ok;
  }
  for (const char* bad : {"mysql://h/db", "bottega.db", "sqlite://", "SQLITE://x", ""}) {
    expect_error("", "store.url", "store.url: must start with sqlite://",
                 {{"BOTTEGA_STORE_URL", bad}});
  }
}

TEST_F(ConfigTest, EnvOverridesWinOverTheFile) {
  std::string path = write(R"(
[server]
listen = "127.0.0.1:1111"
threads = 3
[store]
url = "sqlite://file.db"
[webchat]
allowed_origins = ["https://file.example"]
[outbound]
allow_private_networks = false
[log]
level = "warn"
)");
  Env env = {{"BOTTEGA_SERVER_LISTEN", "0.0.0.0:2222"},
             {"BOTTEGA_SERVER_THREADS", "5"},
             {"BOTTEGA_STORE_URL", "postgres://u@h/db"},
             {"BOTTEGA_WEBCHAT_ALLOWED_ORIGINS", " https://a.example, http://b.example:8080 ,"},
             {"BOTTEGA_OUTBOUND_ALLOW_PRIVATE_NETWORKS", "true"},
             {"BOTTEGA_SERVER_MAX_BODY_BYTES", "4096"},
             {"BOTTEGA_WEBHOOKS_MAX_ATTEMPTS", "3"}};
  auto r = load_config(path, env);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server.listen, "0.0.0.0:2222");
  EXPECT_EQ(r->server.threads, 5);
  EXPECT_EQ(r->store.url, "postgres://u@h/db");
  EXPECT_EQ(r->webchat.allowed_origins,
            (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
  EXPECT_TRUE(r->outbound.allow_private_networks);
  EXPECT_EQ(r->server.max_body_bytes, 4096);
  EXPECT_EQ(r->webhooks.max_attempts, 3);
  EXPECT_EQ(r->log.level, "warn");  // not overridden: the file's value stays
}

TEST_F(ConfigTest, EnvCanFixAnInvalidFileValueBeforeValidation) {
  auto r = load_config(write("[log]\nlevel = \"loud\"\n"), {{"BOTTEGA_LOG_LEVEL", "error"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->log.level, "error");
}

TEST_F(ConfigTest, EnvEmptyOriginsListClearsTheFile) {
  auto r = load_config(write("[webchat]\nallowed_origins = [\"https://a.example\"]\n"),
                       {{"BOTTEGA_WEBCHAT_ALLOWED_ORIGINS", ""}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->webchat.allowed_origins.empty());
}

TEST_F(ConfigTest, UnknownEnvKeyUnderAKnownSectionFails) {
  expect_error("", "server.listn", "unknown key server.listn",
               {{"BOTTEGA_SERVER_LISTN", "127.0.0.1:1"}});
  expect_error("", "server.listn", "BOTTEGA_SERVER_LISTN", {{"BOTTEGA_SERVER_LISTN", "x"}});
  expect_error("", "log.", "unknown key", {{"BOTTEGA_LOG", "debug"}});
}

TEST_F(ConfigTest, EnvOutsideKnownSectionsIsIgnored) {
  Env env = {{"BOTTEGA_BIN", "/usr/bin/bottega"},
             {"BOTTEGA_SOURCE_DIR", "/src"},
             {"BOTTEGA_SERVERX_LISTEN", "nonsense"},
             {"HOME", "/root"},
             {"SERVER_THREADS", "99"}};
  auto r = load_config("", env);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->server.threads, 2);
}

TEST_F(ConfigTest, EnvBadValuesNameKeyAndVariable) {
  expect_error("", "server.threads", "server.threads: expected an integer between 1 and 64",
               {{"BOTTEGA_SERVER_THREADS", "four"}});
  expect_error("", "server.threads", "(from BOTTEGA_SERVER_THREADS)",
               {{"BOTTEGA_SERVER_THREADS", "4x"}});
  expect_error("", "server.threads", "between 1 and 64", {{"BOTTEGA_SERVER_THREADS", "100"}});
  expect_error("", "outbound.allow_private_networks", "expected true or false",
               {{"BOTTEGA_OUTBOUND_ALLOW_PRIVATE_NETWORKS", "yes"}});
  auto r = load_config("", {{"BOTTEGA_OUTBOUND_ALLOW_PRIVATE_NETWORKS", "1"},
                            {"BOTTEGA_OUTBOUND_TIMEOUT_MS", " 2500 "}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->outbound.allow_private_networks);
  EXPECT_EQ(r->outbound.timeout_ms, 2500);
}

TEST_F(ConfigTest, MissingFileIsReportedClearly) {
  std::string path = (dir_ / "nope.toml").string();
  auto r = load_config(path, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_config");
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not found"), std::string::npos) << r.error().message;

  auto d = load_config(dir_.string(), {});
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(ConfigTest, SyntaxErrorHasLineAndColumn) {
  std::string path = write("[server]\nthreads = 2\nlisten = \"unterminated\n");
  auto r = load_config(path, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_config");
  EXPECT_NE(r.error().message.find(path + ":3:"), std::string::npos) << r.error().message;
}

TEST_F(ConfigTest, DuplicateKeyIsASyntaxError) {
  auto r = load_config(write("[server]\nthreads = 2\nthreads = 3\n"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(":3:"), std::string::npos) << r.error().message;
}

TEST(ProcessEnv, ReturnsOnlyBottegaVariables) {
  ::setenv("BOTTEGA_TEST_PROCESS_ENV", "a=b", 1);
  ::setenv("NOT_BOTTEGA_X", "1", 1);
  auto env = process_env();
  bool found = false;
  for (const auto& [k, v] : env) {
    EXPECT_EQ(k.rfind("BOTTEGA_", 0), 0u) << k;
    if (k == "BOTTEGA_TEST_PROCESS_ENV") {
      found = true;
      EXPECT_EQ(v, "a=b");
    }
  }
  EXPECT_TRUE(found);
  ::unsetenv("BOTTEGA_TEST_PROCESS_ENV");
  ::unsetenv("NOT_BOTTEGA_X");
}

TEST_F(ConfigTest, EmailSection) {
  auto r = load_config(write("[email]\nlisten = \"127.0.0.1:2525\"\nprotocol = \"lmtp\"\n"
                             "hostname = \"mx.shop.example\"\nmax_message_bytes = 2048\nmax_recipients = 5\n"),
                       {{"BOTTEGA_EMAIL_IDLE_TIMEOUT_S", "30"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->email.listen, "127.0.0.1:2525");
  EXPECT_EQ(r->email.protocol, "lmtp");
  EXPECT_EQ(r->email.max_message_bytes, 2048);
  EXPECT_EQ(r->email.max_recipients, 5);
  EXPECT_EQ(r->email.idle_timeout_s, 30);
  auto d = load_config("", {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->email.listen, "");  // no listener unless configured
  expect_error("[email]\nlisten = \"nowhere\"\n", "email.listen", "host:port");
  expect_error("[email]\nprotocol = \"pop3\"\n", "email.protocol", "smtp or lmtp");
  expect_error("[email]\nhostname = \"bad host\"\n", "email.hostname", "host name");
  expect_error("[email]\nmax_message_bytes = 10\n", "email.max_message_bytes", "between 1024");
  expect_error("[email]\nlisen = \"x\"\n", "email.lisen", "unknown key email.lisen");
}

}  // namespace
}  // namespace bottega

// [media]: the download cap, the upload cap and the key that signs public file links, in the
// file and in BOTTEGA_MEDIA_* variables (the section was once refused in files).
namespace bottega {
namespace {
class MediaConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("bottega_media_cfg_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    std::string path = (dir_ / "bottega.toml").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};

TEST_F(MediaConfigTest, UploadLimitAndUrlSecret) {
  auto d = load_config("", {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->media.upload_max_bytes, 16 << 20);
  EXPECT_EQ(d->media.url_secret, "");
  std::string secret(40, 's');
  auto r = load_config(write("[media]\nmax_bytes = 2048\nupload_max_bytes = 4096\nurl_secret = \"" + secret + "\"\n"), {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->media.max_bytes, 2048);
  EXPECT_EQ(r->media.upload_max_bytes, 4096);
  EXPECT_EQ(r->media.url_secret, secret);
  auto env = load_config("", {{"BOTTEGA_MEDIA_UPLOAD_MAX_BYTES", "8192"}});
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(env->media.upload_max_bytes, 8192);
  auto short_secret = load_config(write("[media]\nurl_secret = \"too-short\"\n"), {});
  ASSERT_FALSE(short_secret.ok());
  EXPECT_EQ(short_secret.error().field, "media.url_secret");
  auto small = load_config(write("[media]\nupload_max_bytes = 10\n"), {});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().field, "media.upload_max_bytes");
}
}  // namespace
}  // namespace bottega
