# Install rules and the CMake package: find_package(matopt) -> matopt::matopt.
include(CMakePackageConfigHelpers)

set(MATOPT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/matopt)

install(TARGETS matopt EXPORT matoptTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS matopt_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET matopt_torch)
  install(TARGETS matopt_torch LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
install(DIRECTORY include/matopt DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/matopt/config.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/matopt)
# Run-time data: element tables (found relative to libmatopt, see matopt::data_dir()).
install(DIRECTORY data/elements DESTINATION ${CMAKE_INSTALL_DATADIR}/matopt/data)

install(EXPORT matoptTargets NAMESPACE matopt:: DESTINATION ${MATOPT_CMAKE_DIR})
export(EXPORT matoptTargets NAMESPACE matopt:: FILE ${PROJECT_BINARY_DIR}/matoptTargets.cmake)

configure_package_config_file(cmake/matoptConfig.cmake.in ${PROJECT_BINARY_DIR}/matoptConfig.cmake
  INSTALL_DESTINATION ${MATOPT_CMAKE_DIR})
# 0.x: a minor release may break the API/ABI, so find_package(matopt 0.4) accepts only 0.4.*.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_matopt_compat SameMinorVersion)
else()
  set(_matopt_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/matoptConfigVersion.cmake COMPATIBILITY ${_matopt_compat})
install(FILES ${PROJECT_BINARY_DIR}/matoptConfig.cmake ${PROJECT_BINARY_DIR}/matoptConfigVersion.cmake
  DESTINATION ${MATOPT_CMAKE_DIR})

configure_file(cmake/matopt.pc.in ${PROJECT_BINARY_DIR}/matopt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/matopt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
