#include "events.h"

#include <thread>

struct Message {
  bool lifecycle;
  std::string uuid;
  std::string name;
  int event = 0;
  int detail = 0;
  int reason = 0;
};

void RegisterEventLoop() {
  static std::once_flag once;
  std::call_once(once, [] { virEventRegisterDefaultImpl(); });
}

void EnsureEventThread() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Detached and never joined: at exit it is parked in poll(), and it uses no static object with a
    // destructor, so nothing it touches is torn down under it.
    std::thread([] {
      for (;;) virEventRunDefaultImpl();
    }).detach();
  });
}

std::shared_ptr<Sink> Sink::Create(Napi::Env env, Napi::Function callback) {
  auto sink = std::make_shared<Sink>();
  // The finalizer holds its own reference: Node may finalize the function at environment teardown,
  // after the connection object that owned the Sink is gone.
  auto* held = new std::shared_ptr<Sink>(sink);
  sink->tsfn_ = Napi::ThreadSafeFunction::New(env, callback, "stratus:virt:events", 0, 1, held,
                                              [](Napi::Env, std::shared_ptr<Sink>* held) {
                                                {
                                                  std::lock_guard<std::mutex> guard((*held)->lock_);
                                                  (*held)->live_ = false;
                                                }
                                                delete held;
                                              });
  sink->tsfn_.Unref(env);
  sink->live_ = true;
  return sink;
}

void Sink::Release() {
  std::lock_guard<std::mutex> guard(lock_);
  if (!live_) return;
  live_ = false;
  tsfn_.Release();
}

void Sink::Deliver(Message* message) {
  std::lock_guard<std::mutex> guard(lock_);
  napi_status status = napi_closing;
  if (live_) {
    status = tsfn_.NonBlockingCall(message, [](Napi::Env env, Napi::Function callback, Message* m) {
      std::unique_ptr<Message> owned(m);
      // env is null, or refuses to build objects, while Node tears the environment down; and a
      // listener that throws must not take the process down from a callback nobody awaits.
      if (env == nullptr) return;
      try {
        Napi::Object event = Napi::Object::New(env);
        if (m->lifecycle) {
          event.Set("kind", "lifecycle");
          event.Set("uuid", m->uuid);
          event.Set("name", m->name);
          event.Set("event", m->event);
          event.Set("detail", m->detail);
        } else {
          event.Set("kind", "close");
          event.Set("reason", m->reason);
        }
        callback.Call({event});
      } catch (const Napi::Error&) {
      }
    });
  }
  if (status != napi_ok) delete message;
}

void Sink::Lifecycle(const std::string& uuid, const std::string& name, int event, int detail) {
  Deliver(new Message{true, uuid, name, event, detail, 0});
}

void Sink::Closed(int reason) { Deliver(new Message{false, "", "", 0, 0, reason}); }

void* SinkOpaque(const std::shared_ptr<Sink>& sink) { return new std::shared_ptr<Sink>(sink); }

void FreeSinkOpaque(void* opaque) { delete static_cast<std::shared_ptr<Sink>*>(opaque); }

int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  // Both are read from the domain object libvirt built for the event: no round trip to the daemon.
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  virDomainGetUUIDString(dom, uuid);
  const char* name = virDomainGetName(dom);
  (*static_cast<std::shared_ptr<Sink>*>(opaque))->Lifecycle(uuid, name ? name : "", event, detail);
  return 0;
}

void OnClose(virConnectPtr, int reason, void* opaque) { (*static_cast<std::shared_ptr<Sink>*>(opaque))->Closed(reason); }
