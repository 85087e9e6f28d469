import { defineMqProject } from "@mq-tooling/vitest/project";

export default defineMqProject();
