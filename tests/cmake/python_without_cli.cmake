# python/ builds without cli/ and without CLI11 (issue 9). Configures the project with the CLI off and CLI11
# hidden, then lists the commands that build the _core module: none may touch cli/. The main build compiles the
# module with the same include paths (cli/ is in none of them). Cheap on purpose: a second full build of libhp
# would cost CI minutes.
# Usage: cmake -DSOURCE_DIR=... -DBINARY_DIR=... -DGENERATOR=... -DPYTHON=... -P python_without_cli.cmake
file(REMOVE_RECURSE ${BINARY_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BINARY_DIR} -G ${GENERATOR}
          -DHP_BUILD_CLI=OFF -DHP_BUILD_PYTHON=ON -DHP_BUILD_TESTS=OFF -DHP_BUILD_BENCH=OFF -DHP_INSTALL=OFF
          -DCMAKE_DISABLE_FIND_PACKAGE_CLI11=ON -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=${PYTHON}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure without the CLI failed:\n${out}\n${err}")
endif()
file(READ ${BINARY_DIR}/CMakeCache.txt cache)
if(cache MATCHES "CLI11_DIR:PATH=/")
  message(FATAL_ERROR "CLI11 was looked up and found although HP_BUILD_CLI is OFF")
endif()
if(GENERATOR MATCHES "Ninja")  # every command that building _core runs (a dry run would stop at the glob check)
  set(list_commands -t commands _core)
else()
  set(list_commands -n _core)
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} -- ${list_commands}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the _core module has no complete build graph without the CLI:\n${out}\n${err}")
endif()
if(NOT out MATCHES "bind_trials.cpp")
  message(FATAL_ERROR "the build commands of _core do not compile the binding:\n${out}")
endif()
if(out MATCHES "/cli/")
  message(FATAL_ERROR "building _core would compile something under cli/:\n${out}")
endif()
message(STATUS "python/ configures and plans its build without cli/ and CLI11")
