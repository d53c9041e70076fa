// A domain handle. uuid and name are fixed for the handle's life, so JS reads them without a call;
// everything else asks libvirt, off the event loop.
#include <libvirt/virterror.h>

#include <functional>

#include "addon.h"
#include "task.h"

namespace {

unsigned FlagsAt(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || info[index].IsUndefined()) return 0;
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), "flags must be a number");
  return info[index].As<Napi::Number>().Uint32Value();
}

std::string StringAt(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

class Domain : public Napi::ObjectWrap<Domain> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Domain",
                       {
                           InstanceAccessor<&Domain::Uuid>("uuid"),
                           InstanceAccessor<&Domain::Name>("name"),
                           InstanceMethod<&Domain::Create>("create"),
                           InstanceMethod<&Domain::Destroy>("destroy"),
                           InstanceMethod<&Domain::Undefine>("undefine"),
                           InstanceMethod<&Domain::Shutdown>("shutdown"),
                           InstanceMethod<&Domain::Reboot>("reboot"),
                           InstanceMethod<&Domain::Reset>("reset"),
                           InstanceMethod<&Domain::Suspend>("suspend"),
                           InstanceMethod<&Domain::Resume>("resume"),
                           InstanceMethod<&Domain::Save>("save"),
                           InstanceMethod<&Domain::ManagedSave>("managedSave"),
                           InstanceMethod<&Domain::HasManagedSaveImage>("hasManagedSaveImage"),
                           InstanceMethod<&Domain::ManagedSaveRemove>("managedSaveRemove"),
                           InstanceMethod<&Domain::Info>("info"),
                           InstanceMethod<&Domain::Id>("id"),
                           InstanceMethod<&Domain::Xml>("xml"),
                       });
  }

  explicit Domain(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Domain>(info) {
    // Only NewDomain makes these: it passes the handle and the names read in the worker.
    if (info.Length() < 3 || !info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), "Domain objects come from a Connection");
    auto* handle = info[0].As<Napi::External<DomainHandle>>().Data();
    domain_ = std::move(*handle);
    delete handle;
    uuid_ = info[1].As<Napi::String>().Utf8Value();
    name_ = info[2].As<Napi::String>().Utf8Value();
  }

 private:
  Napi::Value Uuid(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), uuid_); }
  Napi::Value Name(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), name_); }

  // A call that answers nothing but success or a fault.
  Napi::Value Void(Napi::Env env, std::function<int(virDomainPtr)> call) {
    DomainHandle d = domain_;
    return Task::Run(
        env, [d, call] { return call(d.get()) < 0 ? Fail() : true; }, [](Napi::Env env) { return env.Undefined(); });
  }

  Napi::Value Create(const Napi::CallbackInfo& info) {
    unsigned flags = FlagsAt(info, 0);
    return Void(info.Env(), [flags](virDomainPtr d) { return virDomainCreateWithFlags(d, flags); });
  }
  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    unsigned flags = FlagsAt(info, 0);
    return Void(info.Env(), [flags](virDomainPtr d) { return virDomainDestroyFlags(d, flags); });
  }
  Napi::Value Undefine(const Napi::CallbackInfo& info) {
    unsigned flags = FlagsAt(info, 0);
    return Void(info.Env(), [flags](virDomainPtr d) { return virDomainUndefineFlags(d, flags); });
  }
  Napi::Value Shutdown(const Napi::CallbackInfo& info) {
    unsigned flags = FlagsAt(info, 0);
    return Void(info.Env(), [flags](virDomainPtr d) { return virDomainShutdownFlags(d, flags); });
  }
  Napi::Value Reboot(const Napi::CallbackInfo& info) {
    unsigned flags = FlagsAt(info, 0);
    return Void(info.Env(), [flags](virDomainPtr d) { return virDomainReboot(d, flags); });
  }
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    return Void(info.Env(), [](virDomainPtr d) { return virDomainReset(d, 0); });
  }
  Napi::Value Suspend(const Napi::CallbackInfo& info) { return Void(info.Env(), virDomainSuspend); }
  Napi::Value Resume(const Napi::CallbackInfo& info) { return Void(info.Env(), virDomainResume); }
  Napi::Value Save(const Napi::CallbackInfo& info) {
    std::string file = StringAt(info, 0, "file");
    unsigned flags = FlagsAt(info, 1);
    return Void(info.Env(), [file, flags](virDomainPtr d) { return virDomainSaveFlags(d, file.c_str(), nullptr, flags); });
  }
  Napi::Value ManagedSave(const Napi::CallbackInfo& info) {
    unsigned flags = FlagsAt(info, 0);
    return Void(info.Env(), [flags](virDomainPtr d) { return virDomainManagedSave(d, flags); });
  }
  Napi::Value ManagedSaveRemove(const Napi::CallbackInfo& info) {
    return Void(info.Env(), [](virDomainPtr d) { return virDomainManagedSaveRemove(d, 0); });
  }

  Napi::Value HasManagedSaveImage(const Napi::CallbackInfo& info) {
    DomainHandle d = domain_;
    auto has = std::make_shared<int>(0);
    return Task::Run(
        info.Env(), [d, has] { return (*has = virDomainHasManagedSaveImage(d.get(), 0)) < 0 ? Fail() : true; },
        [has](Napi::Env env) { return Napi::Boolean::New(env, *has == 1); });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    DomainHandle d = domain_;
    struct Out {
      virDomainInfo info;
      int state = 0, reason = 0;
    };
    auto out = std::make_shared<Out>();
    return Task::Run(
        info.Env(),
        [d, out] {
          if (virDomainGetInfo(d.get(), &out->info) < 0) return Fail();
          // virDomainGetInfo has no reason; the state is read again with it, the later one wins.
          if (virDomainGetState(d.get(), &out->state, &out->reason, 0) < 0) return Fail();
          return true;
        },
        [out](Napi::Env env) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("state", out->state);
          o.Set("reason", out->reason);
          o.Set("maxMemKiB", static_cast<double>(out->info.maxMem));
          o.Set("memoryKiB", static_cast<double>(out->info.memory));
          o.Set("vcpus", out->info.nrVirtCpu);
          // Nanoseconds; a double is exact up to 104 days of CPU time.
          o.Set("cpuTimeNs", static_cast<double>(out->info.cpuTime));
          return o;
        });
  }

  Napi::Value Id(const Napi::CallbackInfo& info) {
    DomainHandle d = domain_;
    auto id = std::make_shared<unsigned>(0);
    return Task::Run(
        info.Env(),
        [d, id] {
          *id = virDomainGetID(d.get());
          return true;
        },
        [id](Napi::Env env) -> Napi::Value {
          // (unsigned)-1: the domain is not running.
          if (*id == static_cast<unsigned>(-1)) return env.Null();
          return Napi::Number::New(env, *id);
        });
  }

  Napi::Value Xml(const Napi::CallbackInfo& info) {
    DomainHandle d = domain_;
    unsigned flags = FlagsAt(info, 0);
    auto xml = std::make_shared<std::string>();
    return Task::Run(
        info.Env(),
        [d, flags, xml] {
          char* s = virDomainGetXMLDesc(d.get(), flags);
          if (s == nullptr) return Fail();
          *xml = s;
          free(s);
          return true;
        },
        [xml](Napi::Env env) { return Napi::String::New(env, *xml); });
  }

  DomainHandle domain_;
  std::string uuid_;
  std::string name_;
};

}  // namespace

Napi::Function InitDomain(Napi::Env env) { return Domain::Define(env); }

Napi::Object NewDomain(Napi::Env env, const DomainRef& ref) {
  auto* data = env.GetInstanceData<AddonData>();
  return data->domainClass.New({Napi::External<DomainHandle>::New(env, new DomainHandle(ref.handle)),
                                Napi::String::New(env, ref.uuid), Napi::String::New(env, ref.name)});
}

DomainRef Describe(virDomainPtr d) {
  DomainRef ref;
  ref.handle = AdoptDomain(d);
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  virDomainGetUUIDString(d, uuid);
  ref.uuid = uuid;
  const char* name = virDomainGetName(d);
  ref.name = name ? name : "";
  return ref;
}
