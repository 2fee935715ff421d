{
  "targets": [
    {
      "target_name": "nlsock",
      "sources": ["src/netlink/native/nlsock.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra"],
      "cflags!": ["-O3"],
      "cflags_c!": ["-O3"]
    }
  ]
}
