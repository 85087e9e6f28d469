export { default } from "@mq-tooling/eslint/base";
