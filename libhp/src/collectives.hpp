// Collective-communication and MoE-routing formulas shared by the training step-time model (perf_time.cpp) and
// the serving model (inference_model.cpp). Sources in docs/model.md ("Step time", "Serving modes").
#pragma once

#include "hp/hardware.hpp"

namespace hp::detail {

/// Per-GPU bandwidth of a ring collective over `size` GPUs placed `stride` ranks apart. Inside one NVLink domain:
/// NVLink. Across domains, a ring's inter-domain edges carry what one member sends, and the q members inside a
/// domain run q rings over q NICs (NCCL uses one ring per NIC), so the ring runs at q x the per-GPU scale-out
/// bandwidth, capped by NVLink (NCCL performance notes: bus bandwidth; Calculon's network tiers).
double group_bandwidth(const GpuSpec& gpu, double stride, double size);

/// Bytes one GPU sends in one MoE token dispatch (or combine) all-to-all over `ep` ranks: each of its `tokens`
/// goes to `topk` experts as one routed copy of `hidden` elements, and (ep - 1)/ep of the copies land on another
/// rank under uniform routing (Megatron-Core MoEAlltoAllTokenDispatcher, token_dispatcher.py; Rajbhandari et al.
/// 2022, DeepSpeed-MoE, Section 5.2: all-to-all dispatch and combine around the expert GEMMs).
double moe_alltoall_bytes(double ep, double tokens, double topk, double hidden, double bytes_per_element);

/// Seconds of one all-to-all in which every rank of a group of `size` ranks placed `stride` apart sends `bytes`
/// (already excluding its own share) spread evenly over the other size - 1 ranks. Unlike a ring, an all-to-all
/// cannot pool a domain's NICs: each GPU's own scale-out NIC carries what it sends out of its NVLink domain
/// while NVLink carries the rest at the same time, so the slower tier sets the time. With q group members per
/// domain, (q - 1)/(size - 1) of the bytes stay inside it (NCCL all-to-all = size - 1 send/receive pairs;
/// deepseek-ai/DeepEP README "normal kernels": the RDMA tier runs at about the NIC's rate, NVLink at its own).
/// `efficiency` scales both links (calibrated comm efficiency).
double alltoall_seconds(const GpuSpec& gpu, double stride, double size, double bytes, double efficiency);

/// Expected number of distinct experts that `tokens` top-k routings touch among `experts`, under uniform routing:
/// an expert escapes one token with probability 1 - k/E, so E (1 - (1 - k/E)^tokens) are hit (the occupancy
/// expectation; Feller 1968, An Introduction to Probability Theory, Vol. 1, Section II.11). Decode steps read
/// only these experts' weights.
double moe_experts_hit(double experts, double topk, double tokens);

}  // namespace hp::detail
