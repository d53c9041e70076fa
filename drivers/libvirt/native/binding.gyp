{
  "targets": [
    {
      "target_name": "stratus_virt",
      "sources": ["src/addon.cc", "src/fault.cc", "src/events.cc", "src/connection.cc", "src/domain.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-std=c++17", "<!@(pkg-config --cflags libvirt)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["<!@(pkg-config --libs libvirt)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
    }
  ]
}
