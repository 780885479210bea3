# Run by cmake --install (see packaging/CMakeLists.txt): where the Nagios command definitions go
# for the install prefix in force. In: TLS_CHECKS_NAGIOS_CONFIG_DIR (the cache variable; empty
# means automatic), TLS_CHECKS_NAGIOS_SUBDIR, CMAKE_INSTALL_PREFIX. Out: tls_checks_nagios_dir.
if(NOT "${TLS_CHECKS_NAGIOS_CONFIG_DIR}" STREQUAL "")
    set(tls_checks_nagios_dir "${TLS_CHECKS_NAGIOS_CONFIG_DIR}")
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/usr/")
    set(tls_checks_nagios_dir "/etc/${TLS_CHECKS_NAGIOS_SUBDIR}")
else()
    set(tls_checks_nagios_dir "${CMAKE_INSTALL_PREFIX}/etc/${TLS_CHECKS_NAGIOS_SUBDIR}")
endif()
if(NOT IS_ABSOLUTE "${tls_checks_nagios_dir}")
    set(tls_checks_nagios_dir "${CMAKE_INSTALL_PREFIX}/${tls_checks_nagios_dir}")
endif()
