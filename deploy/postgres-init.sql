-- One database per service (each service owns its own), created on the first start of the container.
CREATE DATABASE discovery;
CREATE DATABASE identification;
