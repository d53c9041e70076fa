// One connection to a hypervisor: open with keepalive and callbacks, host queries, domain lookups.
#include <libvirt/virterror.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "addon.h"
#include "events.h"
#include "task.h"

namespace {

// No interactive credentials: a server process has nobody to prompt, so a socket that asks for
// any fails with VIR_ERR_AUTH_FAILED instead of waiting on stdin (libvirt's default callback).
virConnectAuth noPrompt = {nullptr, 0, nullptr, nullptr};

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Connection",
                       {
                           InstanceMethod<&Connection::Open>("open"),
                           InstanceMethod<&Connection::Close>("close"),
                           InstanceMethod<&Connection::IsAlive>("isAlive"),
                           InstanceMethod<&Connection::Hostname>("hostname"),
                           InstanceMethod<&Connection::NodeInfo>("nodeInfo"),
                           InstanceMethod<&Connection::Version>("version"),
                           InstanceMethod<&Connection::Capabilities>("capabilities"),
                           InstanceMethod<&Connection::ListAllDomains>("listAllDomains"),
                           InstanceMethod<&Connection::LookupByUUID>("lookupByUUID"),
                           InstanceMethod<&Connection::LookupByName>("lookupByName"),
                           InstanceMethod<&Connection::DefineXML>("defineXML"),
                           InstanceMethod<&Connection::Restore>("restore"),
                       });
  }

  explicit Connection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connection>(info) {}

  ~Connection() override {
    // Dropped without close(): let libvirt stop calling into a Sink nobody will read. The handle
    // itself goes with the last worker still holding it.
    if (sink_) sink_->Release();
  }

 private:
  // open(uri, {readonly, keepAliveInterval, keepAliveCount, lifecycle}, listener)
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsObject() || !info[2].IsFunction())
      throw Napi::TypeError::New(env, "open(uri, options, listener)");
    if (conn_ || opening_) throw Napi::Error::New(env, "connection already opened");
    std::string uri = info[0].As<Napi::String>().Utf8Value();
    Napi::Object options = info[1].As<Napi::Object>();
    auto number = [&](const char* key, int fallback) {
      Napi::Value v = options.Get(key);
      return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
    };
    bool readonly = options.Get("readonly").ToBoolean();
    bool lifecycle = options.Get("lifecycle").IsUndefined() || options.Get("lifecycle").ToBoolean();
    int interval = number("keepAliveInterval", 5);
    unsigned count = number("keepAliveCount", 3);

    EnsureEventThread();
    std::shared_ptr<Sink> sink = Sink::Create(env, info[2].As<Napi::Function>());
    auto opened = std::make_shared<ConnHandle>();
    // Holds this object until the open settles (released on the JS thread, with the Task).
    auto self = std::make_shared<Napi::ObjectReference>(Napi::Persistent(info.This().As<Napi::Object>()));
    opening_ = true;
    return Task::Run(
        env,
        [uri, readonly, lifecycle, interval, count, sink, opened] {
          virConnectPtr c = virConnectOpenAuth(uri.c_str(), &noPrompt, readonly ? VIR_CONNECT_RO : 0);
          if (c == nullptr) return Fail();
          ConnHandle conn = AdoptConn(c);
          // Keepalive is the remote driver's: it notices a daemon that stopped answering (hung, or
          // the host gone) where a dead socket alone would wait for TCP. In-process drivers have none
          // and say VIR_ERR_NO_SUPPORT, which is no reason to refuse them.
          if (interval > 0 && virConnectSetKeepAlive(c, interval, count) < 0 && LastErrorCode() != VIR_ERR_NO_SUPPORT)
            return Fail();
          // libvirt frees the opaque pointer with the registration, but not after a failed one.
          void* opaque = SinkOpaque(sink);
          if (virConnectRegisterCloseCallback(c, OnClose, opaque, FreeSinkOpaque) < 0) {
            Fail();
            FreeSinkOpaque(opaque);
            return false;
          }
          sink->closeRegistered = true;
          if (lifecycle) {
            opaque = SinkOpaque(sink);
            sink->lifecycleId = virConnectDomainEventRegisterAny(c, nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                                 VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle), opaque, FreeSinkOpaque);
            if (sink->lifecycleId < 0) {
              Fail();
              FreeSinkOpaque(opaque);
              virConnectUnregisterCloseCallback(c, OnClose);
              return false;
            }
          }
          *opened = std::move(conn);
          return true;
        },
        [this, self, sink, opened](Napi::Env env) {
          opening_ = false;
          conn_ = *opened;
          sink_ = sink;
          return env.Undefined();
        },
        [this, self, sink] {
          opening_ = false;
          sink->Release();
        });
  }

  // Deregisters the callbacks and closes; a second close does nothing.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    ConnHandle conn = std::move(conn_);
    std::shared_ptr<Sink> sink = std::move(sink_);
    if (!conn) return Task::Run(info.Env(), [] { return true; }, [](Napi::Env env) { return env.Undefined(); });
    return Task::Run(
        info.Env(),
        [conn, sink]() mutable {
          // Errors are beside the point here: a connection that died has dropped them already.
          if (sink->lifecycleId >= 0) virConnectDomainEventDeregisterAny(conn.get(), sink->lifecycleId);
          if (sink->closeRegistered) virConnectUnregisterCloseCallback(conn.get(), OnClose);
          conn.reset();
          return true;
        },
        [sink](Napi::Env env) {
          sink->Release();
          return env.Undefined();
        });
  }

  // The handle for a call, or a rejection like libvirt's for a closed one.
  bool Held(Napi::Env env, ConnHandle& out, Napi::Value& rejected) {
    if (conn_) {
      out = conn_;
      return true;
    }
    rejected = Rejected(env, VIR_ERR_INVALID_CONN, "invalid connection pointer: the connection is closed");
    return false;
  }

  // A call that answers a string libvirt allocated.
  Napi::Value String(const Napi::CallbackInfo& info, std::function<char*(virConnectPtr)> call) {
    ConnHandle c;
    Napi::Value rejected;
    if (!Held(info.Env(), c, rejected)) return rejected;
    auto out = std::make_shared<std::string>();
    return Task::Run(
        info.Env(),
        [c, call, out] {
          char* s = call(c.get());
          if (s == nullptr) return Fail();
          *out = s;
          free(s);
          return true;
        },
        [out](Napi::Env env) { return Napi::String::New(env, *out); });
  }

  Napi::Value IsAlive(const Napi::CallbackInfo& info) {
    ConnHandle c = conn_;
    auto alive = std::make_shared<int>(0);
    return Task::Run(
        info.Env(),
        [c, alive] {
          if (c) *alive = virConnectIsAlive(c.get());
          return true;
        },
        [alive](Napi::Env env) { return Napi::Boolean::New(env, *alive == 1); });
  }

  Napi::Value Hostname(const Napi::CallbackInfo& info) { return String(info, virConnectGetHostname); }

  Napi::Value Capabilities(const Napi::CallbackInfo& info) { return String(info, virConnectGetCapabilities); }

  Napi::Value NodeInfo(const Napi::CallbackInfo& info) {
    ConnHandle c;
    Napi::Value rejected;
    if (!Held(info.Env(), c, rejected)) return rejected;
    auto out = std::make_shared<virNodeInfo>();
    return Task::Run(
        info.Env(), [c, out] { return virNodeGetInfo(c.get(), out.get()) < 0 ? Fail() : true; },
        [out](Napi::Env env) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("model", std::string(out->model, strnlen(out->model, sizeof out->model)));
          o.Set("memoryKiB", static_cast<double>(out->memory));
          o.Set("cpus", out->cpus);
          o.Set("mhz", out->mhz);
          o.Set("nodes", out->nodes);
          o.Set("sockets", out->sockets);
          o.Set("cores", out->cores);
          o.Set("threads", out->threads);
          return o;
        });
  }

  Napi::Value Version(const Napi::CallbackInfo& info) {
    ConnHandle c;
    Napi::Value rejected;
    if (!Held(info.Env(), c, rejected)) return rejected;
    struct Out {
      std::string type;
      unsigned long hypervisor = 0, library = 0;
    };
    auto out = std::make_shared<Out>();
    return Task::Run(
        info.Env(),
        [c, out] {
          const char* type = virConnectGetType(c.get());  // static storage: not freed
          if (type == nullptr) return Fail();
          out->type = type;
          if (virConnectGetVersion(c.get(), &out->hypervisor) < 0) return Fail();
          if (virConnectGetLibVersion(c.get(), &out->library) < 0) return Fail();
          return true;
        },
        [out](Napi::Env env) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("type", out->type);
          o.Set("hypervisorVersion", static_cast<double>(out->hypervisor));
          o.Set("libVersion", static_cast<double>(out->library));
          return o;
        });
  }

  // Every domain with its state in one worker: a host's reconcile reads them all at once.
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info) {
    ConnHandle c;
    Napi::Value rejected;
    if (!Held(info.Env(), c, rejected)) return rejected;
    unsigned flags = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
    struct Row {
      std::string uuid, name;
      unsigned id;
      int state, reason;
    };
    auto rows = std::make_shared<std::vector<Row>>();
    return Task::Run(
        info.Env(),
        [c, flags, rows] {
          virDomainPtr* domains = nullptr;
          int n = virConnectListAllDomains(c.get(), &domains, flags);
          if (n < 0) return Fail();
          bool ok = true;
          for (int i = 0; i < n; i++) {
            virDomainPtr d = domains[i];
            int state = 0, reason = 0;
            if (ok && virDomainGetState(d, &state, &reason, 0) < 0) {
              // Undefined between the listing and this call: it is not there any more.
              if (LastErrorCode() != VIR_ERR_NO_DOMAIN) ok = Fail();
            } else if (ok) {
              char uuid[VIR_UUID_STRING_BUFLEN] = "";
              virDomainGetUUIDString(d, uuid);
              const char* name = virDomainGetName(d);
              rows->push_back(Row{uuid, name ? name : "", virDomainGetID(d), state, reason});
            }
            virDomainFree(d);
          }
          free(domains);
          return ok;
        },
        [rows](Napi::Env env) {
          Napi::Array list = Napi::Array::New(env, rows->size());
          uint32_t i = 0;
          for (const Row& r : *rows) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("uuid", r.uuid);
            o.Set("name", r.name);
            o.Set("id", r.id == static_cast<unsigned>(-1) ? env.Null() : Napi::Number::New(env, r.id));
            o.Set("state", r.state);
            o.Set("reason", r.reason);
            list.Set(i++, o);
          }
          return list;
        });
  }

  // A call that answers a domain.
  Napi::Value DomainCall(const Napi::CallbackInfo& info, std::function<virDomainPtr(virConnectPtr)> call) {
    ConnHandle c;
    Napi::Value rejected;
    if (!Held(info.Env(), c, rejected)) return rejected;
    auto out = std::make_shared<DomainRef>();
    return Task::Run(
        info.Env(),
        [c, call, out] {
          virDomainPtr d = call(c.get());
          if (d == nullptr) return Fail();
          *out = Describe(d);
          return true;
        },
        [out](Napi::Env env) { return NewDomain(env, *out); });
  }

  static std::string StringArg(const Napi::CallbackInfo& info, const char* what) {
    if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
    return info[0].As<Napi::String>().Utf8Value();
  }

  Napi::Value LookupByUUID(const Napi::CallbackInfo& info) {
    std::string uuid = StringArg(info, "uuid");
    return DomainCall(info, [uuid](virConnectPtr c) { return virDomainLookupByUUIDString(c, uuid.c_str()); });
  }

  Napi::Value LookupByName(const Napi::CallbackInfo& info) {
    std::string name = StringArg(info, "name");
    return DomainCall(info, [name](virConnectPtr c) { return virDomainLookupByName(c, name.c_str()); });
  }

  Napi::Value DefineXML(const Napi::CallbackInfo& info) {
    std::string xml = StringArg(info, "xml");
    return DomainCall(info, [xml](virConnectPtr c) { return virDomainDefineXML(c, xml.c_str()); });
  }

  // restore(file, flags): the saved domain comes back running (or paused, by flags).
  Napi::Value Restore(const Napi::CallbackInfo& info) {
    std::string file = StringArg(info, "file");
    unsigned flags = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
    ConnHandle c;
    Napi::Value rejected;
    if (!Held(info.Env(), c, rejected)) return rejected;
    return Task::Run(
        info.Env(), [c, file, flags] { return virDomainRestoreFlags(c.get(), file.c_str(), nullptr, flags) < 0 ? Fail() : true; },
        [](Napi::Env env) { return env.Undefined(); });
  }

  ConnHandle conn_;
  std::shared_ptr<Sink> sink_;
  bool opening_ = false;
};

}  // namespace

void InitConnection(Napi::Env env, Napi::Object exports) { exports.Set("Connection", Connection::Define(env)); }
