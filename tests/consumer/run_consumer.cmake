# cmake -P script of the test "install.consumer" (tests/CMakeLists.txt):
# installs hold's build tree into a fresh prefix, then configures, builds and
# runs the consumer project of this folder against that prefix, as a user would.
# In: HOLD_BUILD_DIR, WORK_DIR, HOLD_VERSION, GENERATOR, CXX_COMPILER, and the
# optional LAUNCHER, BUILD_TYPE, HOLD_PYTHON, TORCH_DIR.
foreach(_var HOLD_BUILD_DIR WORK_DIR HOLD_VERSION GENERATOR CXX_COMPILER)
  if(NOT ${_var})
    message(FATAL_ERROR "run_consumer.cmake: ${_var} not set")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${_rc}):\n${_out}")
  endif()
  string(TIMESTAMP _now "%H:%M:%S")
  message(STATUS "consumer: ${what} done (${_now})")
  set(STEP_OUTPUT "${_out}" PARENT_SCOPE)
endfunction()

set(_prefix ${WORK_DIR}/prefix)
set(_build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${_prefix})
run_step("install into ${_prefix}" ${CMAKE_COMMAND} --install ${HOLD_BUILD_DIR} --prefix ${_prefix})
foreach(_file include/hold/sde/presets.h include/hold/core/build_info.h lib/libhold.a lib/cmake/hold/holdConfig.cmake
        lib/cmake/hold/holdConfigVersion.cmake lib/cmake/hold/holdTargets.cmake)
  if(NOT EXISTS ${_prefix}/${_file})
    message(FATAL_ERROR "consumer: the install lacks ${_file}")
  endif()
endforeach()

# The consumer's build folder is kept between runs (only its configure cache is
# dropped, so the package is found afresh): with ccache, its one torch-including
# translation unit recompiles from the cache.
file(REMOVE ${_build}/CMakeCache.txt)
set(_args -S ${CMAKE_CURRENT_LIST_DIR} -B ${_build} -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
          -Dhold_DIR=${_prefix}/lib/cmake/hold)
if(LAUNCHER)
  list(APPEND _args -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
if(BUILD_TYPE)
  list(APPEND _args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
if(HOLD_PYTHON)
  list(APPEND _args -DHOLD_PYTHON=${HOLD_PYTHON})
elseif(TORCH_DIR)
  list(APPEND _args -DTorch_DIR=${TORCH_DIR})
endif()
run_step("configure" ${CMAKE_COMMAND} ${_args})
run_step("build" ${CMAKE_COMMAND} --build ${_build})
run_step("run" ${_build}/hold_consumer)
message(STATUS "consumer output:\n${STEP_OUTPUT}")

foreach(_expected "preset hold blocks 3\n" "preset cld blocks 2\n" "hold version ${HOLD_VERSION}")
  string(FIND "${STEP_OUTPUT}" "${_expected}" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "consumer: output lacks '${_expected}'")
  endif()
endforeach()
message(STATUS "consumer: passed")
