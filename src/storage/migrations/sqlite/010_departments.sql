-- Which functional department (职能部门: 城管中队, 住建部门 …) a user works for. A case dispatched
-- to a department is accepted, returned and resolved only by its members.
CREATE TABLE department_members (
  user_id     INTEGER NOT NULL REFERENCES users(id),
  department  TEXT   NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, department)
);
CREATE INDEX department_members_department ON department_members(department, user_id);
