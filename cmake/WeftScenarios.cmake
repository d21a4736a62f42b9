# weft_add_scenarios(TARGET [EXPLORE_ARGS...])
#
# Registers every scenario of TARGET (a binary linked with weft::main) as its own CTest test,
# named "TARGET: scenario name", running `TARGET explore <scenario> EXPLORE_ARGS...`. The
# scenarios are listed after each build (`TARGET list`), so adding a WEFT_SCENARIO needs no
# CMake change.
set(_WEFT_DISCOVER_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/WeftDiscoverScenarios.cmake")

function(weft_add_scenarios target)
  set(tests_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_weft_scenarios.cmake")
  string(REPLACE ";" "^^" extra "${ARGN}")  # a list cannot cross the command line as is
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} "-DBINARY=$<TARGET_FILE:${target}>" "-DTARGET=${target}"
            "-DOUT=${tests_file}" "-DEXTRA=${extra}" -P "${_WEFT_DISCOVER_SCRIPT}"
    VERBATIM)
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${tests_file}")
endfunction()
