# Layers are OBJECT libraries so that each layer's tests build only that layer and the ones below it,
# while users get a single shared library (libmatopt) made from all of them.
set(MATOPT_LAYERS core featurize models acquisition optimize campaign bench)

# -Wno-restrict: GCC 12 false positive on "literal" + std::string (GCC bug 105329).
set(MATOPT_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-restrict)

# matopt_layer(NAME DEPENDS <lower layer>...)
function(matopt_layer name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;PRIVATE_LIBS" ${ARGN})
  file(GLOB _src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT _src)  # a layer with no sources yet still needs one object file
    set(_src ${PROJECT_BINARY_DIR}/empty_${name}.cpp)
    file(WRITE ${_src} "// no sources in src/${name} yet\n")
  endif()
  add_library(matopt_${name} OBJECT ${_src})
  target_compile_options(matopt_${name} PRIVATE ${MATOPT_WARNINGS})
  target_include_directories(matopt_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(matopt_${name} PUBLIC Eigen3::Eigen ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_LIBS})
endfunction()

# Objects of a layer and everything it depends on, for test executables that link objects directly.
function(matopt_layer_closure out name)
  set(_order ${MATOPT_LAYERS})
  list(FIND _order ${name} _idx)
  set(_res "")
  foreach(_i RANGE 0 ${_idx})
    list(GET _order ${_i} _l)
    list(APPEND _res matopt_${_l})
  endforeach()
  set(${out} ${_res} PARENT_SCOPE)
endfunction()
