#include "fault.h"

#include <libvirt/virterror.h>

namespace {
thread_local Fault pending;
}

Napi::Error Fault::ToError(Napi::Env env) const {
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object value = error.Value();
  value.Set("name", "LibvirtError");
  value.Set("code", code);
  value.Set("domain", domain);
  value.Set("level", level);
  return error;
}

bool Fail() {
  virErrorPtr last = virGetLastError();
  if (last == nullptr || last->code == VIR_ERR_OK) {
    // A few calls fail without setting an error; keep the rejection an Error all the same.
    pending = Fault{VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, VIR_ERR_ERROR, "libvirt call failed without an error"};
  } else {
    pending = Fault{last->code, last->domain, last->level, last->message ? last->message : ""};
  }
  return false;
}

bool Fail(int code, const std::string& message) {
  pending = Fault{code, VIR_FROM_NONE, VIR_ERR_ERROR, message};
  return false;
}

int LastErrorCode() {
  virErrorPtr last = virGetLastError();
  return last ? last->code : VIR_ERR_OK;
}

Fault TakeFault() {
  Fault fault = std::move(pending);
  pending = Fault{};
  return fault;
}

Napi::Promise Rejected(Napi::Env env, int code, const std::string& message) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(Fault{code, VIR_FROM_NONE, VIR_ERR_ERROR, message}.ToError(env).Value());
  return deferred.Promise();
}
