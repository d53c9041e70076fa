// One libvirt call (or a short sequence) run on libuv's thread pool, settling a Promise: libvirt
// calls block on the daemon's socket, sometimes for seconds, and must never block the event loop.
#pragma once
#include <napi.h>

#include <functional>

#include "fault.h"

class Task : public Napi::AsyncWorker {
 public:
  // `work` runs off the event loop and answers false after Fail(); `done` builds the result on the
  // JS thread; `failed`, if given, undoes on the JS thread what was prepared for a call that failed.
  using Work = std::function<bool()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  using Failed = std::function<void()>;

  static Napi::Promise Run(Napi::Env env, Work work, Done done, Failed failed = nullptr) {
    auto* task = new Task(env, std::move(work), std::move(done), std::move(failed));
    Napi::Promise promise = task->deferred_.Promise();
    task->Queue();
    return promise;
  }

 private:
  Task(Napi::Env env, Work work, Done done, Failed failed)
      : Napi::AsyncWorker(env, "stratus:virt"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        done_(std::move(done)),
        failed_(std::move(failed)) {}

  void Execute() override {
    ok_ = work_();
    if (!ok_) fault_ = TakeFault();
    // The lambda may hold the last reference to a connection; dropping it here keeps a closing
    // round trip to the daemon off the event loop.
    work_ = nullptr;
  }

  void OnOK() override {
    if (!ok_) {
      if (failed_) failed_();
      deferred_.Reject(fault_.ToError(Env()).Value());
      return;
    }
    try {
      deferred_.Resolve(done_(Env()));
    } catch (const Napi::Error& error) {
      deferred_.Reject(error.Value());
    }
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  Failed failed_;
  bool ok_ = false;
  Fault fault_;
};
