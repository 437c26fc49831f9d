// The layout field table (hp/layout_fields.hpp). An empty entry is a place the dimension does not reach
// (num_gpus is no NeMo model key; gbs is not searched).
#include "hp/layout_fields.hpp"

namespace hp {

const std::vector<LayoutField>& layout_fields() {
  using L = Layout;
  using C = TrainingConfig;
  using S = TrainSettings;
  using P = SearchSpace;
  static const std::vector<LayoutField> fields = {
      {"num_gpus", &L::num_gpus, 1, "total GPUs", "--gpus", "", nullptr, "", "", nullptr, nullptr, ""},
      {"tp", &L::tp, 1, "tensor parallel", "--tp", "model.tensor_model_parallel_size", &C::tensor_model_parallel_size,
       "tp", "tensor_parallel_sizes", &S::tensor_parallel_sizes, &P::tp, ""},
      {"pp", &L::pp, 1, "pipeline parallel", "--pp", "model.pipeline_model_parallel_size",
       &C::pipeline_model_parallel_size, "pp", "pipeline_parallel_sizes", &S::pipeline_parallel_sizes, &P::pp, ""},
      {"vp", &L::vp, 1, "virtual pipeline stages per rank", "--vp", "model.virtual_pipeline_model_parallel_size",
       &C::virtual_pipeline_model_parallel_size, "vp", "virtual_pipeline_sizes", &S::virtual_pipeline_sizes, &P::vp, "vp"},
      {"cp", &L::cp, 1, "context parallel", "--cp", "model.context_parallel_size", &C::context_parallel_size, "cp",
       "context_parallel_sizes", &S::context_parallel_sizes, &P::cp, "cp"},
      {"ep", &L::ep, 1, "expert parallel", "--ep", "model.expert_model_parallel_size", &C::expert_model_parallel_size,
       "ep", "expert_parallel_sizes", &S::expert_parallel_sizes, &P::ep, "ep"},
      {"etp", &L::etp, 0, "expert tensor parallel (0 = unspecified: tp, or 1 where tp does not divide)", "--etp",
       "model.expert_tensor_parallel_size", &C::expert_tensor_parallel_size, "etp", "expert_tensor_parallel_sizes",
       &S::expert_tensor_parallel_sizes, &P::etp, "etp"},
      {"mbs", &L::mbs, 1, "micro batch size", "--mbs", "model.micro_batch_size", &C::micro_batch_size, "mbs",
       "micro_batch_sizes", &S::micro_batch_sizes, &P::mbs, ""},
      {"gbs", &L::gbs, 1, "global batch size", "--gbs", "model.global_batch_size", &C::global_batch_size, "gbs", "",
       nullptr, nullptr, ""},
  };
  return fields;
}

}  // namespace hp
