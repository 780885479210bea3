#include "dns/resolver.hpp"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <poll.h>
#include <unbound.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>

#include "base/dynamic_library.hpp"

namespace tls_checks::dns {

namespace {

// libunbound 1.x has kept this soname since 1.4 (2009); Debian's libunbound8 ships it.
constexpr const char* unbound_soname = "libunbound.so.8";

// The functions of libunbound used here; decltype() of unbound.h's declarations keeps their
// signatures checked by the compiler.
struct Unbound {
    decltype(&ub_ctx_create) ctx_create = nullptr;
    decltype(&ub_ctx_delete) ctx_delete = nullptr;
    decltype(&ub_ctx_set_option) ctx_set_option = nullptr;
    decltype(&ub_ctx_set_fwd) ctx_set_fwd = nullptr;
    decltype(&ub_ctx_resolvconf) ctx_resolvconf = nullptr;
    decltype(&ub_ctx_add_ta_file) ctx_add_ta_file = nullptr;
    decltype(&ub_ctx_async) ctx_async = nullptr;
    decltype(&ub_fd) fd = nullptr;
    decltype(&ub_process) process = nullptr;
    decltype(&ub_resolve_async) resolve_async = nullptr;
    decltype(&ub_cancel) cancel = nullptr;
    decltype(&ub_resolve_free) resolve_free = nullptr;
    decltype(&ub_strerror) strerror = nullptr;
};

// Opened once per process and never closed: a check is a short-lived process.
Expected<const Unbound*, std::string> unbound() {
    static std::mutex mutex;
    static std::optional<Expected<Unbound, std::string>> loaded;
    const std::lock_guard lock(mutex);
    if (!loaded) {
        void* library = dlopen(unbound_soname, RTLD_LAZY | RTLD_LOCAL);
        if (library == nullptr) {
            const char* why = dlerror();
            loaded.emplace(unexpected(std::string("libunbound is not available (") +
                                      (why != nullptr ? why : unbound_soname) + ")"));
        } else {
            Unbound functions;
            const bool found = find_symbol(library, "ub_ctx_create", functions.ctx_create) &&
                               find_symbol(library, "ub_ctx_delete", functions.ctx_delete) &&
                               find_symbol(library, "ub_ctx_set_option", functions.ctx_set_option) &&
                               find_symbol(library, "ub_ctx_set_fwd", functions.ctx_set_fwd) &&
                               find_symbol(library, "ub_ctx_resolvconf", functions.ctx_resolvconf) &&
                               find_symbol(library, "ub_ctx_add_ta_file", functions.ctx_add_ta_file) &&
                               find_symbol(library, "ub_ctx_async", functions.ctx_async) &&
                               find_symbol(library, "ub_fd", functions.fd) &&
                               find_symbol(library, "ub_process", functions.process) &&
                               find_symbol(library, "ub_resolve_async", functions.resolve_async) &&
                               find_symbol(library, "ub_cancel", functions.cancel) &&
                               find_symbol(library, "ub_resolve_free", functions.resolve_free) &&
                               find_symbol(library, "ub_strerror", functions.strerror);
            if (found) loaded.emplace(functions);
            else loaded.emplace(unexpected(std::string(unbound_soname) + " is not a usable libunbound"));
        }
    }
    if (!*loaded) return unexpected(loaded->error());
    return &loaded->value();
}

std::string without_trailing_dot(std::string name) {
    if (name.size() > 1 && name.back() == '.') name.pop_back();
    return name;
}

std::string rcode_name(int rcode) {
    switch (rcode) {
        case 0: return "NOERROR";
        case 1: return "FORMERR";
        case 2: return "SERVFAIL";
        case 3: return "NXDOMAIN";
        case 4: return "NOTIMP";
        case 5: return "REFUSED";
        default: return "rcode " + std::to_string(rcode);
    }
}

}  // namespace

// One query in flight: where its callback puts the result. Kept until the Resolver goes, so that
// a callback of a query the deadline abandoned can never write into freed memory.
struct Slot {
    const Unbound* library = nullptr;
    bool done = false;
    int error = 0;
    ub_result* result = nullptr;
    int async_id = 0;

    ~Slot() {
        if (result != nullptr) library->resolve_free(result);
    }
};

struct Resolver::Context {
    const Unbound* library = nullptr;
    ub_ctx* context = nullptr;
    std::deque<Slot> slots;

    ~Context() {
        if (context != nullptr) library->ctx_delete(context);
    }
};

Resolver::Resolver(std::unique_ptr<Context> context, std::string upstream)
    : context_(std::move(context)), upstream_(std::move(upstream)) {}
Resolver::~Resolver() = default;

std::string_view type_name(RrType type) noexcept {
    switch (type) {
        case RrType::a: return "A";
        case RrType::cname: return "CNAME";
        case RrType::mx: return "MX";
        case RrType::txt: return "TXT";
        case RrType::aaaa: return "AAAA";
        case RrType::tlsa: return "TLSA";
    }
    return "?";
}

std::string_view security_name(Security security) noexcept {
    switch (security) {
        case Security::secure: return "secure";
        case Security::insecure: return "insecure";
        case Security::bogus: return "bogus";
    }
    return "?";
}

Expected<std::string, BadServer> forwarder_address(std::string_view text) {
    const auto bad = [](std::string message) { return unexpected(BadServer{std::move(message)}); };
    std::string address(text);
    std::string port;
    bool has_port = false;
    if (!address.empty() && address.front() == '[') {
        const auto close = address.find(']');
        if (close == std::string::npos) return bad("no ']' after the IPv6 address");
        std::string rest = address.substr(close + 1);
        address = address.substr(1, close - 1);
        if (!rest.empty()) {
            if (rest.front() != '@' && rest.front() != '#') return bad("want ADDR[@PORT]");
            port = rest.substr(1);
            has_port = true;
        }
    } else if (const auto at = address.find_last_of("@#"); at != std::string::npos) {
        port = address.substr(at + 1);
        address.resize(at);
        has_port = true;
    }
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1 && inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1)
        return bad("'" + address + "' is not an IP address");
    if (has_port) {
        if (port.empty()) return bad("bad port ''");
        long number = 0;
        for (const char c : port) {
            if (c < '0' || c > '9' || number > 65535) return bad("bad port '" + port + "'");
            number = number * 10 + (c - '0');
        }
        if (number < 1 || number > 65535) return bad("bad port '" + port + "'");
        return address + "@" + port;
    }
    return address;
}

Expected<std::unique_ptr<Resolver>, std::string> Resolver::create(const ResolverOptions& options) {
    auto library = unbound();
    if (!library) return unexpected(library.error());
    auto context = std::make_unique<Context>();
    context->library = *library;
    context->context = context->library->ctx_create();
    if (context->context == nullptr) return unexpected(std::string("libunbound: cannot make a context"));
    const Unbound& ub = *context->library;
    // A thread, not a forked process, works the queries in the background.
    if (int error = ub.ctx_async(context->context, 1); error != 0)
        return unexpected(std::string("libunbound: ") + ub.strerror(error));
    std::string upstream;
    if (options.server) {
        auto forwarder = forwarder_address(*options.server);
        if (!forwarder) return unexpected("bad DNS server '" + *options.server + "': " + forwarder.error().message);
        if (int error = ub.ctx_set_fwd(context->context, forwarder->c_str()); error != 0)
            return unexpected("DNS server " + *forwarder + ": " + ub.strerror(error));
        upstream = *forwarder;
    } else {
        if (int error = ub.ctx_resolvconf(context->context, nullptr); error != 0)
            return unexpected(std::string("cannot read the name servers of /etc/resolv.conf: ") + ub.strerror(error) +
                              (error == UB_READFILE ? std::string(" (") + std::strerror(errno) + ")" : std::string()));
        upstream = "the resolvers of /etc/resolv.conf";
    }
    if (std::FILE* anchor = std::fopen(options.trust_anchor_file.c_str(), "r")) {
        std::fclose(anchor);
    } else {
        return unexpected("trust anchor " + options.trust_anchor_file + ": " + std::strerror(errno));
    }
    if (int error = ub.ctx_add_ta_file(context->context, options.trust_anchor_file.c_str()); error != 0)
        return unexpected("trust anchor " + options.trust_anchor_file + ": " + ub.strerror(error));
    return std::unique_ptr<Resolver>(new Resolver(std::move(context), std::move(upstream)));
}

namespace {

void on_answer(void* argument, int error, ub_result* result) {
    auto* slot = static_cast<Slot*>(argument);
    slot->done = true;
    slot->error = error;
    slot->result = result;
}

std::string query_text(const Query& query) { return std::string(type_name(query.type)) + " " + query.name; }

}  // namespace

std::vector<Expected<Answer, LookupError>> Resolver::resolve(std::span<const Query> queries,
                                                             const net::Deadline& deadline) {
    const Unbound& ub = *context_->library;
    std::vector<Slot*> slots;
    std::vector<std::optional<LookupError>> failed(queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i) {
        Slot& slot = context_->slots.emplace_back();
        slot.library = &ub;
        slots.push_back(&slot);
        const int error = ub.resolve_async(context_->context, queries[i].name.c_str(), static_cast<int>(queries[i].type),
                                           1 /* IN */, &slot, on_answer, &slot.async_id);
        if (error != 0) {
            slot.done = true;
            failed[i] = LookupError{LookupProblem::failed, query_text(queries[i]) + ": " + ub.strerror(error)};
        }
    }
    const auto pending = [&] {
        for (const Slot* slot : slots)
            if (!slot->done) return true;
        return false;
    };
    while (pending() && !deadline.expired()) {
        pollfd ready{ub.fd(context_->context), POLLIN, 0};
        const int polled = ::poll(&ready, 1, deadline.poll_timeout_ms());
        if (polled < 0 && errno != EINTR) break;
        if (polled > 0) (void)ub.process(context_->context);
    }

    std::vector<Expected<Answer, LookupError>> answers;
    answers.reserve(queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i) {
        Slot& slot = *slots[i];
        const std::string what = query_text(queries[i]);
        if (failed[i]) {
            answers.emplace_back(unexpected(std::move(*failed[i])));
            continue;
        }
        if (!slot.done) {
            // The callback will not run: the slot stays with the resolver all the same.
            (void)ub.cancel(context_->context, slot.async_id);
            answers.emplace_back(unexpected(LookupError{LookupProblem::timed_out, what + ": no answer from " + upstream_ +
                                                                                      " in time"}));
            continue;
        }
        if (slot.error != 0 || slot.result == nullptr) {
            answers.emplace_back(unexpected(LookupError{LookupProblem::failed, what + ": " + ub.strerror(slot.error)}));
            continue;
        }
        const ub_result& result = *slot.result;
        Answer answer;
        answer.name = queries[i].name;
        answer.type = queries[i].type;
        answer.rcode = result.rcode;
        answer.security = result.bogus != 0 ? Security::bogus : result.secure != 0 ? Security::secure : Security::insecure;
        if (result.why_bogus != nullptr) answer.why_bogus = result.why_bogus;
        if (result.canonname != nullptr) answer.canonical_name = without_trailing_dot(result.canonname);
        if (result.havedata != 0 && result.data != nullptr) {
            for (int k = 0; result.data[k] != nullptr; ++k) {
                const auto* bytes = reinterpret_cast<const std::uint8_t*>(result.data[k]);
                answer.records.emplace_back(bytes, bytes + result.len[k]);
            }
        }
        if (answer.security != Security::bogus && answer.rcode != 0 && answer.rcode != 3) {
            answers.emplace_back(unexpected(LookupError{LookupProblem::failed, what + ": " + rcode_name(answer.rcode) +
                                                                                   " from " + upstream_}));
            continue;
        }
        answers.emplace_back(std::move(answer));
    }
    return answers;
}

namespace {

// A domain name in uncompressed wire form at `at`, as text (lower case, no trailing dot; "" for
// the root); bytes other than letters, digits, '-' and '_' as \DDD.
std::optional<std::string> read_name(std::span<const std::uint8_t> rdata, std::size_t& at) {
    std::string name;
    for (int labels = 0; labels < 128; ++labels) {
        if (at >= rdata.size()) return std::nullopt;
        const std::size_t length = rdata[at++];
        if (length == 0) return name;
        if (length > 63 || at + length > rdata.size()) return std::nullopt;  // compression or truncation
        if (!name.empty()) name += '.';
        for (std::size_t k = 0; k < length; ++k) {
            const auto c = static_cast<unsigned char>(rdata[at + k]);
            if (std::isalnum(c) != 0 || c == '-' || c == '_') {
                name += static_cast<char>(std::tolower(c));
            } else {
                std::array<char, 5> escaped{};
                std::snprintf(escaped.data(), escaped.size(), "\\%03u", static_cast<unsigned>(c));
                name += escaped.data();
            }
        }
        at += length;
    }
    return std::nullopt;
}

}  // namespace

std::optional<MxRecord> parse_mx(std::span<const std::uint8_t> rdata) {
    if (rdata.size() < 3) return std::nullopt;
    MxRecord record;
    record.preference = static_cast<std::uint16_t>((rdata[0] << 8) | rdata[1]);
    std::size_t at = 2;
    auto host = read_name(rdata, at);
    if (!host || at != rdata.size()) return std::nullopt;
    record.host = std::move(*host);
    return record;
}

std::optional<std::string> parse_txt(std::span<const std::uint8_t> rdata) {
    if (rdata.empty()) return std::nullopt;
    std::string text;
    std::size_t at = 0;
    while (at < rdata.size()) {
        const std::size_t length = rdata[at++];
        if (at + length > rdata.size()) return std::nullopt;
        text.append(reinterpret_cast<const char*>(rdata.data() + at), length);
        at += length;
    }
    return text;
}

std::optional<std::string> parse_address(RrType type, std::span<const std::uint8_t> rdata) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (type == RrType::a && rdata.size() == 4) {
        if (inet_ntop(AF_INET, rdata.data(), text.data(), text.size()) == nullptr) return std::nullopt;
        return std::string(text.data());
    }
    if (type == RrType::aaaa && rdata.size() == 16) {
        if (inet_ntop(AF_INET6, rdata.data(), text.data(), text.size()) == nullptr) return std::nullopt;
        return std::string(text.data());
    }
    return std::nullopt;
}

std::vector<std::string> Answer::addresses() const {
    std::vector<std::string> texts;
    for (const auto& rdata : records) {
        if (auto address = parse_address(type, rdata)) texts.push_back(std::move(*address));
    }
    return texts;
}

}  // namespace tls_checks::dns
