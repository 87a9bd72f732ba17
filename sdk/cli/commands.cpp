#include "cli/commands.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <map>

#include "bartab/sdk/client.hpp"
#include "cli/cli_config.hpp"
#include "cli/terminal.hpp"

namespace bartab::cli {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;

namespace {

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

sdk::Session to_sdk(const SavedSession& saved) {
  sdk::Session s;
  s.user_id = saved.user_id;
  s.access_token = saved.access_token;
  if (!saved.refresh_token.empty()) s.refresh_token = saved.refresh_token;
  s.expires_at = std::chrono::system_clock::time_point(std::chrono::seconds(saved.expires_at));
  return s;
}

SavedSession from_sdk(const std::string& url, const std::string& username, const sdk::Session& s) {
  return {url, s.user_id, username, s.access_token, s.refresh_token.value_or(""), unix_seconds(s.expires_at)};
}

// Runs one command's coroutine to completion on a fresh io_context; exceptions come
// back out of run().
template <class T>
T run(asio::io_context& io, awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.run();
  return future.get();
}

// The saved session as a ready Client; refreshed tokens are saved again as they come.
struct LoggedIn {
  SavedSession saved;
  std::filesystem::path path;
  std::unique_ptr<sdk::Client> client;
};

LoggedIn resume(asio::io_context& io, const Common& common) {
  auto path = config_path(common.config);
  auto saved = load_session(path);
  if (!saved) throw std::runtime_error("not logged in: run `bartab-cli login` first");
  sdk::ClientOptions options;
  auto url = saved->url;
  auto username = saved->username;
  options.on_session = [path, url, username](const sdk::Session& s) {
    save_session(path, from_sdk(url, username, s));
  };
  auto client = std::make_unique<sdk::Client>(io.get_executor(), saved->url, options);
  client->set_session(to_sdk(*saved));
  return {std::move(*saved), std::move(path), std::move(client)};
}

std::string clock_time(std::int64_t ts_ms) {
  std::time_t seconds = ts_ms / 1000;
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &tm);
  return text;
}

std::string text_of(const sdk::Event& e) {
  if (e.redacted_by) return "(redacted)";
  if (const auto* body = e.content.if_contains("body"); body != nullptr && body->is_string())
    return std::string(body->get_string());
  return json::serialize(e.content);
}

json::object event_json(const sdk::Event& e) {
  return {{"event_id", e.event_id}, {"room_id", e.room_id}, {"seq", e.seq}, {"sender", e.sender},
          {"type", e.type},         {"content", e.content}, {"ts", e.ts}};
}

// Senders' usernames for people reading `tail`, looked up once each; the user id
// stands in when the lookup fails.
class Names {
 public:
  explicit Names(sdk::Client& client) : client_(client) {}

  awaitable<std::string> of(const std::string& user_id) {
    if (auto it = names_.find(user_id); it != names_.end()) co_return it->second;
    std::string name = user_id;
    try {
      auto lookup = client_.user(user_id);
      auto profile = co_await std::move(lookup);
      if (const auto* username = profile.if_contains("username");
          username != nullptr && username->is_string())
        name = std::string(username->get_string());
    } catch (const sdk::ApiError&) {
      // a deleted account, say: keep the id
    }
    names_.emplace(user_id, name);
    co_return name;
  }

 private:
  sdk::Client& client_;
  std::map<std::string, std::string> names_;
};

awaitable<void> print_event(const Common& common, Names& names, const sdk::Event& e) {
  if (common.json) {
    std::cout << json::serialize(event_json(e)) << "\n" << std::flush;
    co_return;
  }
  auto naming = names.of(e.sender);
  auto sender = co_await std::move(naming);
  std::cout << "[" << clock_time(e.ts) << "] " << sender << " ";
  if (e.type != "message") std::cout << "(" << e.type << ") ";
  std::cout << text_of(e) << "\n" << std::flush;
}

void print_line(const Common& common, const json::object& object, const std::string& human) {
  if (common.json) {
    std::cout << json::serialize(object) << "\n";
    return;
  }
  std::cout << human << "\n";
}

// Runs `body` with the saved session and maps failures to a message and exit code 1.
template <class Body>
int with_session(const Common& common, Body body) {
  try {
    asio::io_context io;
    auto session = resume(io, common);
    run(io, body(*session.client, session.saved));
    return 0;
  } catch (const sdk::ApiError& e) {
    std::cerr << "bartab-cli: " << e.code() << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bartab-cli: " << e.what() << "\n";
  }
  return 1;
}

std::string message_text(const SendOptions& options) {
  bool from_stdin = options.words.empty() || (options.words.size() == 1 && options.words[0] == "-");
  if (from_stdin) {
    std::string all{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
    return all;
  }
  std::string text;
  for (const auto& word : options.words) text += (text.empty() ? "" : " ") + word;
  return text;
}

}  // namespace

namespace {

// login and register: ask for the password, get a session, keep it.
template <class Start>
int start_session(const Common& common, const LoginOptions& options, Start start) {
  try {
    auto password = options.password_stdin
                        ? read_line_from_stdin()
                        : read_password_from_terminal("password for " + options.username + ": ");
    asio::io_context io;
    sdk::Client client(io.get_executor(), options.url);
    auto session = run(io, start(client, password));
    auto path = config_path(common.config);
    save_session(path, from_sdk(options.url, options.username, session));
    print_line(
        common, {{"user_id", session.user_id}, {"username", options.username}},
        "logged in as " + options.username + " (" + session.user_id + "); session kept in " + path.string());
    return 0;
  } catch (const sdk::ApiError& e) {
    std::cerr << "bartab-cli: refused: " << e.code() << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "bartab-cli: " << e.what() << "\n";
  }
  return 1;
}

}  // namespace

int login(const Common& common, const LoginOptions& options) {
  return start_session(common, options, [&](sdk::Client& client, const std::string& password) {
    return client.login(options.username, password);
  });
}

int register_account(const Common& common, const LoginOptions& options,
                     const std::optional<std::string>& invite) {
  return start_session(common, options, [&](sdk::Client& client, const std::string& password) {
    return client.register_user(options.username, password, invite);
  });
}

int logout(const Common& common) {
  auto path = config_path(common.config);
  int code = with_session(common, [](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    auto call = client.logout();
    co_await std::move(call);
  });
  forget_session(path);
  if (code == 0) print_line(common, {{"logged_out", true}}, "logged out");
  return code;
}

int rooms(const Common& common) {
  return with_session(common, [&common](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    auto listed_call = client.rooms();
    auto listed = co_await std::move(listed_call);
    for (const auto& r : listed) {
      json::object o{{"room_id", r.room_id},
                     {"name", r.name},
                     {"membership", r.membership.value_or("")},
                     {"unread", r.unread},
                     {"member_count", r.member_count}};
      print_line(common, o,
                 r.room_id + "  " + r.name + "  " + r.membership.value_or("") + "  " +
                     std::to_string(r.unread) + " unread");
    }
  });
}

int create_room(const Common& common, const std::string& name, bool is_public) {
  return with_session(common, [&](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    std::string visibility = is_public ? "public" : "private";
    auto room_id_call = client.create_room(name, visibility);
    auto room_id = co_await std::move(room_id_call);
    print_line(common, {{"room_id", room_id}}, room_id);
  });
}

int join(const Common& common, const std::string& room) {
  return with_session(common, [&](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    auto call = client.join(room);
    co_await std::move(call);
    print_line(common, {{"room_id", room}, {"membership", "join"}}, "joined " + room);
  });
}

int send(const Common& common, const SendOptions& options) {
  auto text = message_text(options);
  if (text.empty()) {
    std::cerr << "bartab-cli: nothing to send\n";
    return 1;
  }
  return with_session(common, [&](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    json::object content{{"body", text}};
    sdk::SendResult sent;
    if (options.txn) {
      auto sent_call = client.send_retrying(options.room, "message", content, *options.txn);
      sent = co_await std::move(sent_call);
    } else {
      auto sent_call = client.send(options.room, "message", content);
      sent = co_await std::move(sent_call);
    }
    print_line(common, {{"event_id", sent.event_id}, {"seq", sent.seq}}, sent.event_id);
  });
}

// The room's latest events from the initial snapshot, then (with -f) every new one
// through sync from the snapshot's own position: nothing between them is lost.
int tail(const Common& common, const TailOptions& options) {
  return with_session(common, [&](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    auto snapshot_call = client.sync(std::nullopt, std::chrono::milliseconds(0), options.lines);
    auto snapshot = co_await std::move(snapshot_call);
    auto room = snapshot.rooms.find(options.room);
    if (room == snapshot.rooms.end())
      throw std::runtime_error("not a member of " + options.room + ": join it first");
    Names names(client);
    for (const auto& e : room->second.events) {
      auto printing = print_event(common, names, e);
      co_await std::move(printing);
    }
    if (!options.follow) co_return;
    auto since = snapshot.next;
    for (;;) {
      auto batch_call = client.sync(since, std::chrono::seconds(30));
      auto batch = co_await std::move(batch_call);
      if (auto it = batch.rooms.find(options.room); it != batch.rooms.end()) {
        for (const auto& e : it->second.events) {
          auto printing = print_event(common, names, e);
          co_await std::move(printing);
        }
      }
      if (std::find(batch.left.begin(), batch.left.end(), options.room) != batch.left.end()) {
        throw std::runtime_error("no longer a member of " + options.room);
      }
      since = batch.next;
    }
  });
}

int upload(const Common& common, const UploadOptions& options) {
  return with_session(common, [&](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    std::filesystem::path file(options.file);
    auto name = file.filename().string();
    std::string type = options.content_type ? *options.content_type : std::string("application/octet-stream");
    auto media_call = client.upload_file(file, type, name);
    auto media = co_await std::move(media_call);
    json::object out{{"media_id", media.media_id},
                     {"content_type", media.content_type},
                     {"size", media.size},
                     {"sha256", media.sha256}};
    if (options.room) {
      json::object attached{{"media_id", media.media_id},
                            {"name", name},
                            {"content_type", media.content_type},
                            {"size", media.size}};
      if (media.width) attached["width"] = *media.width;
      if (media.height) attached["height"] = *media.height;
      json::object message{{"body", name}, {"media", attached}};
      auto sent_call = client.send(*options.room, "message", std::move(message));
      auto sent = co_await std::move(sent_call);
      out["event_id"] = sent.event_id;
    }
    print_line(common, out, media.media_id);
  });
}

int create_bot(const Common& common, const std::string& username) {
  return with_session(common, [&](sdk::Client& client, const SavedSession&) -> awaitable<void> {
    auto bot_call = client.create_bot(username);
    auto bot = co_await std::move(bot_call);
    print_line(common, {{"user_id", bot.user_id}, {"api_key", bot.api_key}},
               "bot " + username + ": user id " + bot.user_id + "\napi key (shown once): " + bot.api_key);
  });
}

}  // namespace bartab::cli
