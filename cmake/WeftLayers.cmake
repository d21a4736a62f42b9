# weft_add_layer(NAME SOURCES src... [DEPENDS layer...] [PRIVATE_LINKS target...])
#
# One layer of weft (runtime, checkers, instrument, process) as an OBJECT library
# `weft_NAME`. Its include folders are its own `include/` (public) and `src/` (private) plus
# the public `include/` of the layers it DEPENDS on, and nothing else: a header included in
# the wrong direction is not found and the build stops. The layers' objects are archived into
# the one static `weft` library that users link (weft::weft), so a layer may call a function
# that a layer above it defines (runtime creates the checkers through the interface it
# declares) without a link-order cycle.
function(weft_add_layer name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPENDS;PRIVATE_LINKS")
  set(target weft_${name})
  set(sources)
  foreach(s IN LISTS arg_SOURCES)
    list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  add_library(${target} OBJECT ${sources})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
    set_property(GLOBAL APPEND PROPERTY WEFT_PUBLIC_INCLUDE_DIRS ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  foreach(dep IN LISTS arg_DEPENDS)
    target_link_libraries(${target} PUBLIC weft_${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC Threads::Threads
                                  PRIVATE weft_warnings ${arg_PRIVATE_LINKS})
  if(WEFT_PRODUCTION_ONLY)
    target_compile_definitions(${target} PUBLIC WEFT_PRODUCTION_ONLY)
  endif()
  set_property(GLOBAL APPEND PROPERTY WEFT_LAYERS ${target})
  set_property(GLOBAL APPEND PROPERTY WEFT_LAYER_SOURCES ${sources})
  set_property(GLOBAL APPEND PROPERTY WEFT_PRIVATE_INCLUDE_DIRS ${CMAKE_CURRENT_SOURCE_DIR}/src)
endfunction()
