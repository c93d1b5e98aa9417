#include "discovery.hpp"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/alternative.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>

#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <tuple>

namespace ebt::discovery {

namespace {

std::string daemon_error(int err) {
    return std::string("mDNS discovery needs avahi-daemon running: ") + avahi_strerror(err) +
           " (Debian: apt-get install avahi-daemon; the daemon is reached over the D-Bus system bus)";
}

// RAII for the plain Avahi handles.
struct SimplePollFree { void operator()(AvahiSimplePoll* p) const { avahi_simple_poll_free(p); } };
struct ThreadedPollFree { void operator()(AvahiThreadedPoll* p) const { avahi_threaded_poll_free(p); } };
struct ClientFree { void operator()(AvahiClient* c) const { avahi_client_free(c); } };
struct BrowserFree { void operator()(AvahiServiceBrowser* b) const { avahi_service_browser_free(b); } };
struct ResolverFree { void operator()(AvahiServiceResolver* r) const { avahi_service_resolver_free(r); } };
struct StringListFree { void operator()(AvahiStringList* l) const { avahi_string_list_free(l); } };
using SimplePollPtr = std::unique_ptr<AvahiSimplePoll, SimplePollFree>;
using ThreadedPollPtr = std::unique_ptr<AvahiThreadedPoll, ThreadedPollFree>;
using ClientPtr = std::unique_ptr<AvahiClient, ClientFree>;
using BrowserPtr = std::unique_ptr<AvahiServiceBrowser, BrowserFree>;
using ResolverPtr = std::unique_ptr<AvahiServiceResolver, ResolverFree>;
using StringListPtr = std::unique_ptr<AvahiStringList, StringListFree>;

void check_service_type(const std::string& type) {
    if (!avahi_is_valid_service_type_strict(type.c_str()))
        throw std::invalid_argument("mDNS: invalid service type '" + type + "' (expected _name._tcp or _name._udp)");
}

StringListPtr make_txt(const std::map<std::string, std::string>& txt) {
    StringListPtr list;
    for (const auto& [key, value] : txt) {
        if (key.empty() || key.find('=') != std::string::npos ||
            std::any_of(key.begin(), key.end(), [](unsigned char c) { return c < 0x20 || c > 0x7e; }))
            throw std::invalid_argument("mDNS: invalid TXT key '" + key + "' (printable ASCII without '=')");
        if (key.size() + 1 + value.size() > 255)
            throw std::invalid_argument("mDNS: TXT record '" + key + "' longer than 255 bytes");
        AvahiStringList* next = avahi_string_list_add_pair(list.get(), key.c_str(), value.c_str());
        if (!next) throw std::bad_alloc();
        (void)list.release();  // now owned by `next`
        list.reset(next);
    }
    return list;
}

std::map<std::string, std::string> parse_txt(AvahiStringList* txt) {
    std::map<std::string, std::string> out;
    for (AvahiStringList* l = txt; l; l = avahi_string_list_get_next(l)) {
        char* key = nullptr;
        char* value = nullptr;
        if (avahi_string_list_get_pair(l, &key, &value, nullptr) != 0) continue;
        if (key) out.emplace(key, value ? value : "");  // first occurrence wins (RFC 6763 6.4)
        avahi_free(key);
        avahi_free(value);
    }
    return out;
}

}  // namespace

// ---------------------------------------------------------------- Advertiser

struct Advertiser::Impl {
    // Fixed at construction.
    std::string type;
    uint16_t port = 0;
    StringListPtr txt;

    // Touched by Avahi callbacks on the poll thread (which hold the poll
    // lock) and, under the poll lock, by the owner's thread.
    ThreadedPollPtr poll;
    AvahiClient* client = nullptr;  // freed in ~Advertiser (replaced on reconnect)
    AvahiEntryGroup* group = nullptr;  // owned by client
    std::string name;  // current name (after collisions)

    // Observed state for the owner's thread.
    mutable std::mutex mu;
    std::condition_variable cv;
    bool is_established = false;
    std::string last_error;
    std::string published_name;

    void set_state(bool est, const std::string& err) {
        {
            std::lock_guard lk(mu);
            is_established = est;
            if (!err.empty()) last_error = err;
            published_name = name;
        }
        cv.notify_all();
    }

    void rename() {
        char* alt = avahi_alternative_service_name(name.c_str());
        if (alt) {
            name = alt;
            avahi_free(alt);
        }
    }

    void create_services(AvahiClient* c) {
        if (!group) {
            group = avahi_entry_group_new(c, &Impl::group_cb, this);
            if (!group) {
                set_state(false, std::string("avahi_entry_group_new: ") + avahi_strerror(avahi_client_errno(c)));
                return;
            }
        }
        if (!avahi_entry_group_is_empty(group)) return;
        for (int attempt = 0; attempt < 100; ++attempt) {
            int r = avahi_entry_group_add_service_strlst(group, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET,
                                                         AvahiPublishFlags(0), name.c_str(), type.c_str(),
                                                         nullptr, nullptr, port, txt.get());
            if (r == AVAHI_ERR_COLLISION) {  // a local service already has this name
                rename();
                continue;
            }
            if (r < 0) {
                set_state(false, std::string("publishing '") + name + "': " + avahi_strerror(r));
                return;
            }
            r = avahi_entry_group_commit(group);
            if (r < 0) set_state(false, std::string("committing '") + name + "': " + avahi_strerror(r));
            return;
        }
        set_state(false, "no free service name after 100 collisions");
    }

    static void group_cb(AvahiEntryGroup* g, AvahiEntryGroupState state, void* ud) {
        auto* self = static_cast<Impl*>(ud);
        self->group = g;  // the callback may run inside avahi_entry_group_new
        switch (state) {
        case AVAHI_ENTRY_GROUP_ESTABLISHED:
            self->set_state(true, "");
            break;
        case AVAHI_ENTRY_GROUP_COLLISION:  // someone on the network has our name
            self->rename();
            self->set_state(false, "");
            avahi_entry_group_reset(g);
            self->create_services(avahi_entry_group_get_client(g));
            break;
        case AVAHI_ENTRY_GROUP_FAILURE:
            self->set_state(false, std::string("entry group failure: ") +
                                       avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
            break;
        case AVAHI_ENTRY_GROUP_UNCOMMITED:
        case AVAHI_ENTRY_GROUP_REGISTERING:
            break;
        }
    }

    static void client_cb(AvahiClient* c, AvahiClientState state, void* ud) {
        auto* self = static_cast<Impl*>(ud);
        switch (state) {
        case AVAHI_CLIENT_S_RUNNING:
            self->create_services(c);
            break;
        case AVAHI_CLIENT_S_COLLISION:   // our host name collides: withdraw until renamed
        case AVAHI_CLIENT_S_REGISTERING:  // the daemon re-registers everything (host renamed)
            if (self->group) avahi_entry_group_reset(self->group);
            self->set_state(false, "");
            break;
        case AVAHI_CLIENT_FAILURE: {
            int err = avahi_client_errno(c);
            self->set_state(false, std::string("avahi-daemon: ") + avahi_strerror(err));
            if (err == AVAHI_ERR_DISCONNECTED && self->client == c) {
                // The daemon went away (restart): drop everything and wait for
                // it to come back, then publish again (avahi-publish does the same).
                avahi_client_free(c);
                self->client = nullptr;
                self->group = nullptr;
                int e = 0;
                self->client = avahi_client_new(avahi_threaded_poll_get(self->poll.get()), AVAHI_CLIENT_NO_FAIL,
                                                &Impl::client_cb, self, &e);
                if (!self->client) self->set_state(false, std::string("reconnecting: ") + avahi_strerror(e));
            }
            break;
        }
        case AVAHI_CLIENT_CONNECTING:
            break;
        }
    }
};

Advertiser::Advertiser(const std::string& name, uint16_t port, const std::map<std::string, std::string>& txt,
                       const std::string& service_type)
    : impl_(std::make_unique<Impl>()) {
    if (!avahi_is_valid_service_name(name.c_str()))
        throw std::invalid_argument("mDNS: invalid service instance name '" + name + "' (1-63 bytes)");
    check_service_type(service_type);
    if (port == 0) throw std::invalid_argument("mDNS: port 0 cannot be advertised");
    impl_->type = service_type;
    impl_->port = port;
    impl_->txt = make_txt(txt);
    impl_->name = name;
    impl_->published_name = name;

    impl_->poll.reset(avahi_threaded_poll_new());
    if (!impl_->poll) throw std::bad_alloc();
    int err = 0;
    // No AVAHI_CLIENT_NO_FAIL: a missing daemon is an error now, not a wait.
    // The poll thread is not running yet, so the callbacks run here.
    impl_->client = avahi_client_new(avahi_threaded_poll_get(impl_->poll.get()), AvahiClientFlags(0),
                                     &Impl::client_cb, impl_.get(), &err);
    if (!impl_->client) throw std::runtime_error(daemon_error(err));
    if (avahi_threaded_poll_start(impl_->poll.get()) < 0) {
        avahi_client_free(impl_->client);
        impl_->client = nullptr;
        throw std::runtime_error("mDNS: cannot start the Avahi event thread");
    }
}

Advertiser::~Advertiser() {
    if (!impl_) return;
    // Stop the thread first: afterwards nothing else touches the client.
    if (impl_->poll) avahi_threaded_poll_stop(impl_->poll.get());
    // Freeing the client frees (withdraws) its entry group: the daemon sends
    // the goodbye packets.
    if (impl_->client) avahi_client_free(impl_->client);
    impl_->client = nullptr;
    impl_->group = nullptr;
    impl_->poll.reset();
}

bool Advertiser::wait_established(double timeout_s) {
    std::unique_lock lk(impl_->mu);
    auto timeout = std::chrono::duration<double>(std::max(0.0, timeout_s));
    return impl_->cv.wait_for(lk, timeout, [&] { return impl_->is_established; });
}

bool Advertiser::established() const {
    std::lock_guard lk(impl_->mu);
    return impl_->is_established;
}

std::string Advertiser::name() const {
    std::lock_guard lk(impl_->mu);
    return impl_->published_name;
}

std::string Advertiser::error() const {
    std::lock_guard lk(impl_->mu);
    return impl_->last_error;
}

// ---------------------------------------------------------------- browse

namespace {

struct BrowseState {
    AvahiSimplePoll* poll = nullptr;
    const BrowseOptions* opts = nullptr;
    int if_filter = AVAHI_IF_UNSPEC;
    std::vector<ResolverPtr> resolvers;  // freed before the client
    std::vector<Found> found;
    std::set<std::tuple<std::string, std::string, uint16_t>> seen;
    std::string failure;  // daemon lost, browser failed

    bool done() const { return opts->max_results != 0 && found.size() >= opts->max_results; }

    static void client_cb(AvahiClient* c, AvahiClientState state, void* ud) {
        auto* self = static_cast<BrowseState*>(ud);
        if (state == AVAHI_CLIENT_FAILURE) {
            self->failure = std::string("mDNS discovery: lost avahi-daemon during the browse: ") +
                            avahi_strerror(avahi_client_errno(c));
            avahi_simple_poll_quit(self->poll);
        }
    }

    static void resolve_cb(AvahiServiceResolver* r, AvahiIfIndex iface, AvahiProtocol proto,
                           AvahiResolverEvent event, const char* name, const char* /*type*/,
                           const char* /*domain*/, const char* host, const AvahiAddress* addr, uint16_t port,
                           AvahiStringList* txt, AvahiLookupResultFlags /*flags*/, void* ud) {
        auto* self = static_cast<BrowseState*>(ud);
        if (event == AVAHI_RESOLVER_FOUND && proto == AVAHI_PROTO_INET && addr && addr->proto == AVAHI_PROTO_INET) {
            char a[AVAHI_ADDRESS_STR_MAX];
            avahi_address_snprint(a, sizeof a, addr);
            Found f;
            f.name = name ? name : "";
            f.host = host ? host : "";
            f.address = a;
            f.port = port;
            char ifname[IF_NAMESIZE] = {};
            if (iface >= 0 && if_indextoname(static_cast<unsigned>(iface), ifname)) f.interface = ifname;
            f.txt = parse_txt(txt);
            if (self->seen.emplace(f.name, f.address, f.port).second && !self->done())
                self->found.push_back(std::move(f));
            if (self->done()) avahi_simple_poll_quit(self->poll);
        }
        // Found or failed (timeout, gone): this resolver has done its work.
        // Keep the object until the browse ends (freeing it inside its own
        // callback is allowed, but this keeps one owner).
        (void)r;
    }

    static void browse_cb(AvahiServiceBrowser* b, AvahiIfIndex iface, AvahiProtocol proto, AvahiBrowserEvent event,
                          const char* name, const char* type, const char* domain, AvahiLookupResultFlags /*flags*/,
                          void* ud) {
        auto* self = static_cast<BrowseState*>(ud);
        switch (event) {
        case AVAHI_BROWSER_NEW: {
            if (!self->opts->name.empty() && self->opts->name != name) break;
            if (self->if_filter != AVAHI_IF_UNSPEC && iface != self->if_filter) break;
            AvahiServiceResolver* r = avahi_service_resolver_new(avahi_service_browser_get_client(b), iface, proto,
                                                                 name, type, domain, AVAHI_PROTO_INET,
                                                                 AvahiLookupFlags(0), &BrowseState::resolve_cb, self);
            if (r) self->resolvers.emplace_back(r);
            // A resolver that cannot even be created (daemon busy) is skipped:
            // the browse still ends at its timeout.
            break;
        }
        case AVAHI_BROWSER_FAILURE:
            self->failure = std::string("mDNS browse failed: ") +
                            avahi_strerror(avahi_client_errno(avahi_service_browser_get_client(b)));
            avahi_simple_poll_quit(self->poll);
            break;
        case AVAHI_BROWSER_REMOVE:
        case AVAHI_BROWSER_CACHE_EXHAUSTED:
        case AVAHI_BROWSER_ALL_FOR_NOW:
            break;
        }
    }
};

}  // namespace

std::vector<Found> browse(double timeout_s, const BrowseOptions& options) {
    if (!(timeout_s > 0)) throw std::invalid_argument("mDNS browse: timeout must be > 0 seconds");
    check_service_type(options.service_type);
    BrowseState st;
    st.opts = &options;
    if (!options.interface.empty()) {
        unsigned idx = if_nametoindex(options.interface.c_str());
        if (idx == 0) throw std::invalid_argument("mDNS browse: no interface '" + options.interface + "'");
        st.if_filter = static_cast<int>(idx);
    }

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);

    // Declaration order is destruction order reversed: resolvers (in st,
    // cleared explicitly below) and browser go before the client, the client
    // before the poll.
    SimplePollPtr poll(avahi_simple_poll_new());
    if (!poll) throw std::bad_alloc();
    st.poll = poll.get();
    int err = 0;
    ClientPtr client(avahi_client_new(avahi_simple_poll_get(poll.get()), AvahiClientFlags(0),
                                      &BrowseState::client_cb, &st, &err));
    if (!client) throw std::runtime_error(daemon_error(err));
    BrowserPtr browser(avahi_service_browser_new(client.get(), st.if_filter, AVAHI_PROTO_INET,
                                                 options.service_type.c_str(), nullptr, AvahiLookupFlags(0),
                                                 &BrowseState::browse_cb, &st));
    if (!browser)
        throw std::runtime_error(std::string("mDNS browse: ") + avahi_strerror(avahi_client_errno(client.get())));

    struct ResolversFirst {  // frees the resolvers on every exit path, before the browser and the client
        BrowseState& st;
        ~ResolversFirst() { st.resolvers.clear(); }
    } resolvers_first{st};

    while (st.failure.empty() && !st.done()) {
        if (options.stop && options.stop->load()) break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        // Bounded wait: the loop re-checks the deadline and *stop at least
        // every 100 ms, whatever the daemon does.
        int r = avahi_simple_poll_iterate(poll.get(), static_cast<int>(std::min<long long>(left.count(), 100)));
        if (r == 1) break;  // quit requested by a callback
        if (r < 0) throw std::runtime_error("mDNS browse: event loop failed");
    }
    if (!st.failure.empty()) throw std::runtime_error(st.failure);

    std::vector<Found> out = std::move(st.found);
    std::sort(out.begin(), out.end(), [](const Found& a, const Found& b) {
        return std::tie(a.name, a.address, a.port) < std::tie(b.name, b.address, b.port);
    });
    return out;
}

std::optional<Found> find_receiver(double timeout_s, const std::string& name, const std::atomic<bool>* stop) {
    BrowseOptions o;
    o.name = name;
    o.max_results = 1;
    o.stop = stop;
    auto v = browse(timeout_s, o);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

std::string default_instance_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "unknown");
    std::string n = std::string("xdp-recv on ") + host;
    if (n.size() > AVAHI_LABEL_MAX - 1) n.resize(AVAHI_LABEL_MAX - 1);
    return n;
}

}  // namespace ebt::discovery
