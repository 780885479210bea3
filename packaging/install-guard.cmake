# The first thing cmake --install runs (see the top-level CMakeLists.txt): a source install must
# not overwrite the files of an installed package (monitoring-plugins-tls-checks or tls-checks),
# which would leave dpkg or rpm with files it no longer knows and an upgrade that silently undoes
# the install. Staged installs (DESTDIR, as package builds do) are not checked.
# In: TLS_CHECKS_INSTALLED_FILES (paths, relative to the prefix or absolute, @NAGIOS@ for the
# Nagios definitions directory), CMAKE_INSTALL_PREFIX.
if(NOT "$ENV{DESTDIR}" STREQUAL "")
    return()
endif()
include("${CMAKE_CURRENT_LIST_DIR}/install-paths.cmake")
find_program(tls_checks_dpkg_query dpkg-query)
find_program(tls_checks_rpm rpm)
set(owned "")
foreach(entry IN LISTS TLS_CHECKS_INSTALLED_FILES)
    string(REPLACE "@NAGIOS@" "${tls_checks_nagios_dir}" path "${entry}")
    if(NOT IS_ABSOLUTE "${path}")
        set(path "${CMAKE_INSTALL_PREFIX}/${path}")
    endif()
    foreach(candidate "${path}" "${path}.gz")
        if(NOT EXISTS "${candidate}")
            continue()
        endif()
        set(owner "")
        if(tls_checks_dpkg_query)
            execute_process(COMMAND ${tls_checks_dpkg_query} -S "${candidate}" RESULT_VARIABLE rc
                            OUTPUT_VARIABLE out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
            if(rc EQUAL 0)
                string(REGEX REPLACE ":.*" "" owner "${out}")
            endif()
        endif()
        if(owner STREQUAL "" AND tls_checks_rpm)
            execute_process(COMMAND ${tls_checks_rpm} -qf --qf "%{NAME}" "${candidate}" RESULT_VARIABLE rc
                            OUTPUT_VARIABLE out ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
            if(rc EQUAL 0)
                set(owner "${out}")
            endif()
        endif()
        if(NOT owner STREQUAL "")
            list(APPEND owned "${candidate} (package ${owner})")
        endif()
    endforeach()
endforeach()
if(owned)
    list(JOIN owned "\n  " owned_text)
    message(FATAL_ERROR "tls-checks: not installing over files that an installed package owns:\n  ${owned_text}\n"
            "Remove the package first (apt remove monitoring-plugins-tls-checks, or dnf remove tls-checks), "
            "or install under another prefix (cmake --install BUILD_DIR --prefix /usr/local).")
endif()
