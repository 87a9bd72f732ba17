#include "core/config/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <fstream>

namespace bartab::core {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("bartab-config-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml");
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::filesystem::remove(path_);
  }

  std::string error_of(const ConfigSources& sources) {
    try {
      load_config(sources);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::filesystem::path path_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ConfigTest, DefaultsMatchTheContract) {
  auto c = load_config({});
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_TRUE(c.server.public_url.empty());
  EXPECT_TRUE(c.server.cors_origins.empty());
  EXPECT_EQ(c.limits.max_json_bytes, 1u << 20);
  EXPECT_EQ(c.limits.max_json_depth, 64u);
  EXPECT_EQ(c.limits.max_header_bytes, 16u << 10);
  EXPECT_EQ(c.auth.registration, "invite");
  EXPECT_EQ(c.auth.access_token_ttl, 900u);
  EXPECT_EQ(c.auth.refresh_token_ttl, 2592000u);
  EXPECT_EQ(c.tokens.leeway, 30u);
  EXPECT_EQ(c.ratelimit.login_failures_per_minute, 10u);
  EXPECT_EQ(c.ratelimit.register_per_hour, 20u);
  EXPECT_EQ(c.media.max_upload_bytes, 52428800u);
  EXPECT_EQ(c.media.quota_bytes, 1073741824u);
}

TEST_F(ConfigTest, FileEnvironmentAndFlagsApplyInOrder) {
  ConfigSources sources;
  sources.defaults = {{"server.port", "8082"}, {"log.format", "json"}};
  sources.file = write("[server]\nport = 9000\nhost = \"127.0.0.1\"\n[log]\nlevel = \"debug\"\n");
  sources.environment = {"BARTAB_SERVER_PORT=9100", "BARTAB_LOG_LEVEL=warn", "PATH=/bin"};
  sources.overrides = {{"server.port", "9200"}};
  auto c = load_config(sources);
  EXPECT_EQ(c.server.port, 9200) << "flags beat the environment";
  EXPECT_EQ(c.log.level, "warn") << "the environment beats the file";
  EXPECT_EQ(c.server.host, "127.0.0.1") << "the file beats defaults";
  EXPECT_EQ(c.log.format, "json") << "process-shape defaults apply when nothing overrides them";
}

TEST_F(ConfigTest, UnknownKeyInTheFileNamesKeyAndFile) {
  ConfigSources sources;
  sources.file = write("[server]\nprot = 1\n");
  auto error = error_of(sources);
  EXPECT_TRUE(contains(error, "unknown configuration key server.prot")) << error;
  EXPECT_TRUE(contains(error, path_.string())) << error;
}

TEST_F(ConfigTest, UnknownSectionAndTopLevelKeysAreRefused) {
  ConfigSources sources;
  sources.file = write("[nope]\nx = 1\n");
  EXPECT_TRUE(contains(error_of(sources), "[nope]"));
  sources.file = write("[server]\n[nope]\n");
  EXPECT_TRUE(contains(error_of(sources), "[nope]")) << "an empty unknown section is a typo too";
  sources.file = write("port = 1\n");
  EXPECT_TRUE(contains(error_of(sources), "unknown configuration key port"));
}

TEST_F(ConfigTest, WrongTypesInTheFileAreRefused) {
  ConfigSources sources;
  sources.file = write("[server]\nport = \"80\"\n");
  EXPECT_TRUE(contains(error_of(sources), "server.port")) << error_of(sources);
  sources.file = write("[log]\naccess = \"yes\"\n");
  EXPECT_TRUE(contains(error_of(sources), "log.access"));
  sources.file = write("[server]\nhost = 5\n");
  EXPECT_TRUE(contains(error_of(sources), "expected a string"));
}

TEST_F(ConfigTest, SyntaxErrorNamesTheLine) {
  ConfigSources sources;
  sources.file = write("[server]\nport = 80\nhost = \n");
  auto error = error_of(sources);
  EXPECT_TRUE(contains(error, "line 3")) << error;
}

TEST_F(ConfigTest, BadValuesNameKeyAndSource) {
  ConfigSources sources;
  sources.environment = {"BARTAB_SERVER_PORT=70000"};
  auto error = error_of(sources);
  EXPECT_TRUE(contains(error, "server.port")) << error;
  EXPECT_TRUE(contains(error, "BARTAB_SERVER_PORT")) << error;
  EXPECT_TRUE(contains(error, "70000")) << error;

  for (auto bad :
       std::vector<std::pair<std::string, std::string>>{{"server.port", "-1"},
                                                        {"server.port", "80x"},
                                                        {"server.port", ""},
                                                        {"auth.registration", "sometimes"},
                                                        {"log.format", "xml"},
                                                        {"server.public_url", "ftp://x"},
                                                        {"server.public_url", "http://"},
                                                        {"server.cors_origins", "example.org"},
                                                        {"limits.max_json_depth", "0"},
                                                        {"log.access", "maybe"},
                                                        {"server.host", ""},
                                                        {"chat.auth_url", "https://auth.example.org"}}) {
    ConfigSources s;
    s.overrides = {bad};
    EXPECT_TRUE(contains(error_of(s), bad.first)) << bad.first << "=" << bad.second;
  }
}

TEST_F(ConfigTest, EnvironmentKeysOfKnownSectionsMustExist) {
  ConfigSources sources;
  sources.environment = {"BARTAB_LIMITS_MAX_JSON_BYTE=5"};
  EXPECT_TRUE(contains(error_of(sources), "unknown configuration key limits.max_json_byte"));
  sources.environment = {"BARTAB_LIMITS_MAX_JSON_BYTES=2048", "BARTAB_TESTSUITE_ROOT=/x", "BARTAB_HOME=/y"};
  EXPECT_EQ(load_config(sources).limits.max_json_bytes, 2048u) << "other BARTAB_ names are not ours to judge";
}

TEST_F(ConfigTest, UrlsLoseTrailingSlashAndOriginsSplit) {
  ConfigSources sources;
  sources.overrides = {{"server.public_url", "https://chat.example.org/"},
                       {"server.cors_origins", "https://a.example, http://b.example:8080"}};
  auto c = load_config(sources);
  EXPECT_EQ(c.server.public_url, "https://chat.example.org");
  EXPECT_EQ(c.server.cors_origins, (std::vector<std::string>{"https://a.example", "http://b.example:8080"}));
}

TEST_F(ConfigTest, OriginsMayBeATomlArray) {
  ConfigSources sources;
  sources.file = write("[server]\ncors_origins = [\"https://a.example\", \"*\"]\n");
  EXPECT_EQ(load_config(sources).server.cors_origins, (std::vector<std::string>{"https://a.example", "*"}));
  sources.file = write("[server]\ncors_origins = [1]\n");
  EXPECT_TRUE(contains(error_of(sources), "server.cors_origins"));
}

TEST_F(ConfigTest, KeysListCoversTheContract) {
  auto keys = config_keys();
  for (const char* key :
       {"server.host", "server.public_url", "server.cors_origins", "limits.max_json_bytes",
        "limits.max_json_depth", "limits.max_header_bytes", "auth.access_token_ttl", "auth.refresh_token_ttl",
        "tokens.leeway", "ratelimit.login_failures_per_minute", "ratelimit.register_per_hour",
        "media.max_upload_bytes", "media.quota_bytes", "chat.auth_url"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
  }
}

}  // namespace
}  // namespace bartab::core
