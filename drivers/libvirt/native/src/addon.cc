// @stratus/virt: Stratus's libvirt binding. Loaded once per process (Node environment).
#include "addon.h"

#include <dlfcn.h>
#include <libvirt/virterror.h>

#include "events.h"

namespace {

// Node unloads an addon when the last environment using it (a worker thread) ends, but libvirt's event
// thread and the callbacks registered with libvirt live as long as the process: they would run code
// that is no longer mapped. Opening ourselves once more with RTLD_NODELETE keeps the code in place.
void StayLoaded() {
  Dl_info self;
  if (dladdr(reinterpret_cast<void*>(&StayLoaded), &self) != 0 && self.dli_fname != nullptr)
    dlopen(self.dli_fname, RTLD_NOW | RTLD_NODELETE);
}

// libvirt prints every error to stderr unless a handler is set; ours go to the caller as rejections.
void Silent(void*, virErrorPtr) {}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Makes libvirt's global state safe for calls from several threads; idempotent.
  if (virInitialize() < 0) throw Napi::Error::New(env, "virInitialize failed");
  StayLoaded();
  virSetErrorFunc(nullptr, Silent);
  RegisterEventLoop();
  auto* data = new AddonData();
  data->domainClass = Napi::Persistent(InitDomain(env));
  env.SetInstanceData(data);
  exports.Set("Domain", data->domainClass.Value());
  InitConnection(env, exports);
  InitConstants(env, exports);
  return exports;
}

}  // namespace

// libvirt's numbers as its headers define them; the TypeScript constants are checked against these.
void InitConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
#define EXPORT(name) c.Set(#name, static_cast<double>(name))
  EXPORT(VIR_DOMAIN_NOSTATE);
  EXPORT(VIR_DOMAIN_RUNNING);
  EXPORT(VIR_DOMAIN_BLOCKED);
  EXPORT(VIR_DOMAIN_PAUSED);
  EXPORT(VIR_DOMAIN_SHUTDOWN);
  EXPORT(VIR_DOMAIN_SHUTOFF);
  EXPORT(VIR_DOMAIN_CRASHED);
  EXPORT(VIR_DOMAIN_PMSUSPENDED);
  EXPORT(VIR_DOMAIN_EVENT_DEFINED);
  EXPORT(VIR_DOMAIN_EVENT_UNDEFINED);
  EXPORT(VIR_DOMAIN_EVENT_STARTED);
  EXPORT(VIR_DOMAIN_EVENT_SUSPENDED);
  EXPORT(VIR_DOMAIN_EVENT_RESUMED);
  EXPORT(VIR_DOMAIN_EVENT_STOPPED);
  EXPORT(VIR_DOMAIN_EVENT_SHUTDOWN);
  EXPORT(VIR_DOMAIN_EVENT_PMSUSPENDED);
  EXPORT(VIR_DOMAIN_EVENT_CRASHED);
  EXPORT(VIR_DOMAIN_EVENT_DEFINED_ADDED);
  EXPORT(VIR_DOMAIN_EVENT_DEFINED_UPDATED);
  EXPORT(VIR_DOMAIN_EVENT_UNDEFINED_REMOVED);
  EXPORT(VIR_DOMAIN_EVENT_STARTED_BOOTED);
  EXPORT(VIR_DOMAIN_EVENT_STARTED_RESTORED);
  EXPORT(VIR_DOMAIN_EVENT_SUSPENDED_PAUSED);
  EXPORT(VIR_DOMAIN_EVENT_RESUMED_UNPAUSED);
  EXPORT(VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN);
  EXPORT(VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
  EXPORT(VIR_DOMAIN_EVENT_STOPPED_CRASHED);
  EXPORT(VIR_DOMAIN_EVENT_STOPPED_SAVED);
  EXPORT(VIR_DOMAIN_EVENT_STOPPED_FAILED);
  EXPORT(VIR_DOMAIN_EVENT_SHUTDOWN_FINISHED);
  EXPORT(VIR_DOMAIN_EVENT_SHUTDOWN_GUEST);
  EXPORT(VIR_DOMAIN_EVENT_SHUTDOWN_HOST);
  EXPORT(VIR_CONNECT_CLOSE_REASON_ERROR);
  EXPORT(VIR_CONNECT_CLOSE_REASON_EOF);
  EXPORT(VIR_CONNECT_CLOSE_REASON_KEEPALIVE);
  EXPORT(VIR_CONNECT_CLOSE_REASON_CLIENT);
  EXPORT(VIR_DOMAIN_SHUTDOWN_DEFAULT);
  EXPORT(VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
  EXPORT(VIR_DOMAIN_SHUTDOWN_GUEST_AGENT);
  EXPORT(VIR_DOMAIN_REBOOT_DEFAULT);
  EXPORT(VIR_DOMAIN_REBOOT_ACPI_POWER_BTN);
  EXPORT(VIR_DOMAIN_REBOOT_GUEST_AGENT);
  EXPORT(VIR_DOMAIN_DESTROY_DEFAULT);
  EXPORT(VIR_DOMAIN_DESTROY_GRACEFUL);
  EXPORT(VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
  EXPORT(VIR_DOMAIN_UNDEFINE_NVRAM);
  EXPORT(VIR_DOMAIN_XML_SECURE);
  EXPORT(VIR_DOMAIN_XML_INACTIVE);
  EXPORT(VIR_DOMAIN_START_PAUSED);
  EXPORT(VIR_DOMAIN_SAVE_RUNNING);
  EXPORT(VIR_DOMAIN_SAVE_PAUSED);
  EXPORT(VIR_CONNECT_LIST_DOMAINS_ACTIVE);
  EXPORT(VIR_CONNECT_LIST_DOMAINS_INACTIVE);
  EXPORT(VIR_ERR_INTERNAL_ERROR);
  EXPORT(VIR_ERR_NO_SUPPORT);
  EXPORT(VIR_ERR_NO_CONNECT);
  EXPORT(VIR_ERR_INVALID_CONN);
  EXPORT(VIR_ERR_INVALID_ARG);
  EXPORT(VIR_ERR_OPERATION_FAILED);
  EXPORT(VIR_ERR_OPERATION_DENIED);
  EXPORT(VIR_ERR_XML_DETAIL);
  EXPORT(VIR_ERR_XML_ERROR);
  EXPORT(VIR_ERR_DOM_EXIST);
  EXPORT(VIR_ERR_SYSTEM_ERROR);
  EXPORT(VIR_ERR_RPC);
  EXPORT(VIR_ERR_NO_DOMAIN);
  EXPORT(VIR_ERR_AUTH_FAILED);
  EXPORT(VIR_ERR_OPERATION_INVALID);
  EXPORT(VIR_ERR_OPERATION_TIMEOUT);
  EXPORT(VIR_ERR_ARGUMENT_UNSUPPORTED);
  EXPORT(VIR_ERR_OPERATION_UNSUPPORTED);
  EXPORT(VIR_FROM_NONE);
  EXPORT(VIR_FROM_DOM);
  EXPORT(VIR_FROM_RPC);
  EXPORT(VIR_FROM_QEMU);
  EXPORT(VIR_FROM_TEST);
  EXPORT(VIR_FROM_REMOTE);
#undef EXPORT
  exports.Set("constants", c);
}

NODE_API_MODULE(stratus_virt, Init)
