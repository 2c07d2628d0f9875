-- One database per service (each service owns its own), created on the first start of the container.
CREATE DATABASE discovery;
CREATE DATABASE identification;
CREATE DATABASE assistance;
CREATE DATABASE gradual_exit;
CREATE DATABASE followup;
CREATE DATABASE policy;
CREATE DATABASE oversight;
CREATE DATABASE exchange;
CREATE DATABASE portal;
