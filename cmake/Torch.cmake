# LibTorch from the pinned PyPI `torch` wheel (scripts/setup.sh installs it
# into a virtual environment; scripts/build.sh passes its Python as
# HOLD_PYTHON). The wheel is a CUDA build: its CMake package needs the CUDA
# toolkit (nvcc) and cuDNN, and we compile NCCL process groups against the
# nccl.h of the wheel's own NCCL. Everything is found here, once, from the
# wheel first and the system second, so that no one passes hints by hand.
# An installed hold package includes this file too (holdTorch.cmake, from
# holdConfig.cmake), so its consumers find the same LibTorch the same way.

set(HOLD_PYTHON "" CACHE FILEPATH "Python of the environment whose torch wheel provides LibTorch")
set(HOLD_TORCH_SITE "")
if(HOLD_PYTHON)
  execute_process(
    COMMAND ${HOLD_PYTHON} -c "import os, torch; print(torch.utils.cmake_prefix_path); print(os.path.dirname(os.path.dirname(torch.__file__)))"
    OUTPUT_VARIABLE _hold_torch_out RESULT_VARIABLE _hold_torch_rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT _hold_torch_rc EQUAL 0)
    message(FATAL_ERROR "hold: ${HOLD_PYTHON} cannot import torch (HOLD_PYTHON); run scripts/setup.sh")
  endif()
  string(REPLACE "\n" ";" _hold_torch_out "${_hold_torch_out}")
  list(GET _hold_torch_out 0 _hold_torch_prefix)
  list(GET _hold_torch_out 1 HOLD_TORCH_SITE)
  list(PREPEND CMAKE_PREFIX_PATH "${_hold_torch_prefix}")
elseif(Torch_DIR)
  # A wheel's LibTorch named by Torch_DIR (<site-packages>/torch/share/cmake/Torch),
  # as an installed hold's consumer may pass it: the same wheel handling below.
  get_filename_component(_hold_torch_site "${Torch_DIR}/../../../.." ABSOLUTE)
  if(EXISTS "${_hold_torch_site}/torch/__init__.py")
    set(HOLD_TORCH_SITE "${_hold_torch_site}")
  endif()
endif()

# The CUDA toolkit: CUDA_HOME, else /usr/local/cuda, else nvcc on PATH.
if(NOT CUDA_TOOLKIT_ROOT_DIR)
  if(DEFINED ENV{CUDA_HOME} AND EXISTS "$ENV{CUDA_HOME}/bin/nvcc")
    set(CUDA_TOOLKIT_ROOT_DIR "$ENV{CUDA_HOME}")
  elseif(EXISTS /usr/local/cuda/bin/nvcc)
    set(CUDA_TOOLKIT_ROOT_DIR /usr/local/cuda)
  endif()
endif()
if(CUDA_TOOLKIT_ROOT_DIR AND NOT CMAKE_CUDA_COMPILER)
  set(CMAKE_CUDA_COMPILER "${CUDA_TOOLKIT_ROOT_DIR}/bin/nvcc")
endif()

# cuDNN and NCCL of the wheel (nvidia-cudnn-*, nvidia-nccl-* wheels), so the
# headers match the libraries torch loads at run time.
if(HOLD_TORCH_SITE)
  file(GLOB _hold_cudnn_inc "${HOLD_TORCH_SITE}/nvidia/cudnn/include")
  file(GLOB _hold_cudnn_lib "${HOLD_TORCH_SITE}/nvidia/cudnn/lib/libcudnn.so*")
  if(_hold_cudnn_inc AND _hold_cudnn_lib AND NOT CUDNN_INCLUDE_DIR)
    list(GET _hold_cudnn_lib 0 _hold_cudnn_lib)
    set(CUDNN_INCLUDE_DIR "${_hold_cudnn_inc}" CACHE PATH "cuDNN headers")
    set(CUDNN_LIBRARY "${_hold_cudnn_lib}" CACHE FILEPATH "cuDNN library")
  endif()
  if(EXISTS "${HOLD_TORCH_SITE}/nvidia/nccl/include/nccl.h" AND NOT NCCL_INCLUDE_DIR)
    set(NCCL_INCLUDE_DIR "${HOLD_TORCH_SITE}/nvidia/nccl/include" CACHE PATH "nccl.h of the torch wheel's NCCL")
  endif()
endif()

# TorchConfig.cmake looks its libraries up with find_library(... PATHS
# <torch>/lib), which searches the system first: with Debian's libtorch-dev
# also installed, /usr/lib's 1.13 libc10.so got linked. Name the wheel's files.
if(HOLD_TORCH_SITE)
  set(_hold_torch_lib "${HOLD_TORCH_SITE}/torch/lib")
  foreach(_hold_name c10 c10_cuda torch torch_cpu torch_cuda dnnl mkldnn sleef asmjit)
    string(TOUPPER "${_hold_name}" _hold_upper)
    if(EXISTS "${_hold_torch_lib}/lib${_hold_name}.so")
      set(${_hold_name}_LIBRARY "${_hold_torch_lib}/lib${_hold_name}.so" CACHE FILEPATH "the torch wheel's lib${_hold_name}")
      set(${_hold_upper}_LIBRARY "${_hold_torch_lib}/lib${_hold_name}.so" CACHE FILEPATH "the torch wheel's lib${_hold_name}")
    endif()
  endforeach()
  file(GLOB _hold_wheel_nvrtc "${HOLD_TORCH_SITE}/nvidia/cu*/lib/libnvrtc.so.[0-9]*")
  list(FILTER _hold_wheel_nvrtc EXCLUDE REGEX "builtins")
  if(_hold_wheel_nvrtc)
    list(GET _hold_wheel_nvrtc 0 _hold_wheel_nvrtc)
    set(CUDA_NVRTC_LIB "${_hold_wheel_nvrtc}" CACHE FILEPATH "the torch wheel's libnvrtc")
  endif()
endif()

# We compile no CUDA sources: torch's CMake only needs the CUDA language on.
# CMake 3.25 knows no CUDA20 dialect (torch copies CMAKE_CXX_STANDARD), and an
# explicit architecture list spares the probe of installed GPUs (none here).
if(NOT CMAKE_CUDA_STANDARD)
  set(CMAKE_CUDA_STANDARD 17)
endif()
if(NOT TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
endif()
find_package(Torch REQUIRED)

# The wheel's CUDA libraries (nvidia-* wheels beside torch) are the ones its
# libtorch_cuda.so was built with and loads through its RPATH. Link and run
# against those too, not the toolkit's: torch's CMake points CUDA::cudart
# and CUDA::nvrtc at the toolkit (an older runtime, and an NCCL without the
# symbols libtorch_cuda needs), and a library loaded first by the executable
# wins for its soname.
if(HOLD_TORCH_SITE)
  file(GLOB _hold_nvidia_libs LIST_DIRECTORIES true "${HOLD_TORCH_SITE}/nvidia/*/lib")
  if(_hold_nvidia_libs)
    string(REPLACE ";" ":" _hold_rpath_link "${_hold_nvidia_libs}")
    add_link_options("LINKER:-rpath-link,${_hold_rpath_link}")
    list(PREPEND CMAKE_BUILD_RPATH ${_hold_nvidia_libs})
    foreach(_hold_lib cudart nvrtc)
      file(GLOB _hold_wheel_lib "${HOLD_TORCH_SITE}/nvidia/cu*/lib/lib${_hold_lib}.so.[0-9]*")
      list(FILTER _hold_wheel_lib EXCLUDE REGEX "builtins")
      if(TARGET CUDA::${_hold_lib} AND _hold_wheel_lib)
        list(GET _hold_wheel_lib 0 _hold_wheel_lib)
        set_target_properties(CUDA::${_hold_lib} PROPERTIES IMPORTED_LOCATION "${_hold_wheel_lib}")
      endif()
    endforeach()
  endif()
endif()
set(HOLD_HAS_CUDA_TORCH OFF)
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(HOLD_HAS_CUDA_TORCH ON)
endif()
message(STATUS "hold: LibTorch ${Torch_VERSION} from ${Torch_DIR}; CUDA compiled in: ${HOLD_HAS_CUDA_TORCH}")
